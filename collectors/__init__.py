"""Collectors: one package per source; each turns what a device says into Readings.

A transport is one module or folder exporting ``Options`` (its device sub-table, a
``PluginOptions``), ``SAMPLE`` (the TOML ``roomwatch config sample`` shows for it) and
``build(device, options, shared) -> Collector``, optionally ``Section`` (the model of its own
top-level table, ``[ssh]``), and one line in ``REGISTRY`` below. The inventory, the config's
top-level sections, the wiring, the secret filter and the sample config all loop over the registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from collectors.base import Collector, DeviceInfo, Shared
from monitor.core.options import PluginOptions

# Literal registry (no scanning, no import side effects): transport name -> module. The name
# is also the device's sub-table key (``[devices.snmp]``). Order is the sample config's order.
REGISTRY: dict[str, str] = {
    "local": "collectors.local",
    "exec": "collectors.exec",
    "ssh": "collectors.ssh",
    "snmp": "collectors.snmp",
    "modbus": "collectors.modbus",
    "winrm": "collectors.winrm",  # older Windows servers (pywinrm): readings and posture
}

Build = Callable[[DeviceInfo, Any, Shared], Collector]


@dataclass(frozen=True, kw_only=True)
class Transport:
    """What one registry line names: the options model, the sample and the builder."""

    name: str
    options: type[PluginOptions]
    sample: str
    build: Build
    section: type[BaseModel] | None = None  # the top-level ``[name]`` table shared by its devices


def transport(name: str) -> Transport:
    """The transport registered as ``name`` (KeyError names an unknown one); TypeError when its
    module does not keep the contract, so a half-written plugin fails loudly at start."""
    module = importlib.import_module(REGISTRY[name])
    options = getattr(module, "Options", None)
    sample = getattr(module, "SAMPLE", None)
    build = getattr(module, "build", None)
    section = getattr(module, "Section", None)
    if not (isinstance(options, type) and issubclass(options, PluginOptions)
            and isinstance(sample, str) and callable(build)
            and (section is None or (isinstance(section, type) and issubclass(section, BaseModel)))):
        raise TypeError(f"{REGISTRY[name]}: a transport exports Options (PluginOptions), SAMPLE and "
                        "build, and optionally Section (a pydantic model)")
    return Transport(name=name, options=options, sample=sample, build=build, section=section)


def transports() -> list[Transport]:
    """Every registered transport, in registry order."""
    return [transport(name) for name in REGISTRY]
