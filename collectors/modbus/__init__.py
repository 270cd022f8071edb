"""Modbus-TCP devices (precision air conditioners, 动环 collectors, PDUs, transmitters):
``options`` configures, ``maps`` holds the register maps as data, ``gateway`` the connections
shared per address, ``collector`` reads one device."""

from __future__ import annotations

from typing import TYPE_CHECKING

from collectors.base import DeviceInfo, Shared
from collectors.modbus.options import SAMPLE, ModbusOptions

if TYPE_CHECKING:
    from collectors.modbus.collector import ModbusCollector

Options = ModbusOptions
__all__ = ["SAMPLE", "Options", "build"]


def build(device: DeviceInfo, options: ModbusOptions, shared: Shared) -> ModbusCollector:
    """The collector of one Modbus device; devices at one address and port share its connection."""
    from collectors.modbus.collector import ModbusCollector  # pymodbus loads only when used
    from collectors.modbus.gateway import ModbusShared

    return ModbusCollector(device.name, options, address=device.address, port=device.port,
                           shared=shared.once("modbus", ModbusShared))
