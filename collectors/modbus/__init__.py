"""Modbus-TCP devices (precision air conditioners, 动环 collectors, PDUs, transmitters):
``options.ModbusOptions`` and ``SAMPLE`` configure, ``maps`` holds the register maps as data,
``collector.build`` makes the collector for one device."""

from __future__ import annotations

from collectors.modbus.options import SAMPLE, ModbusOptions

__all__ = ["SAMPLE", "ModbusOptions"]
