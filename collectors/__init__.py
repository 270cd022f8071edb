"""Collectors: one module per source; each turns what a device says into Readings."""

from __future__ import annotations

import importlib
from typing import Any

# Literal registry (no scanning, no import side effects): transport name -> "module:Class".
REGISTRY: dict[str, str] = {
    "exec": "collectors.exec:ExecCollector",
    "local": "collectors.local:LocalCollector",
    "ssh": "collectors.ssh.collector:SshCollector",
    "snmp": "collectors.snmp.collector:SnmpCollector",
    "modbus": "collectors.modbus.collector:ModbusCollector",
}


def collector_class(transport: str) -> Any:
    """The collector class for a transport name; KeyError names the unknown transport."""
    module, _, cls = REGISTRY[transport].partition(":")
    return getattr(importlib.import_module(module), cls)
