"""The ``modbus`` device sub-table: which register map, which unit, how patiently to ask."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from collectors.modbus.maps import MAX_REGISTERS, RegisterSpec, load_map
from monitor.durations import Duration
from monitor.errors import ConfigError

SAMPLE = """\
# Modbus-TCP: precision air conditioners, 动环 collectors, PDUs and temperature-humidity
# transmitters. A map (shipped name or your own file) says what each register means;
# shipped maps: xy-md02, renke-rs-ws-n01, airedale-pco, clever-mpro (see collectors/modbus/maps/).
[[devices]]
name = "空调-1"
kind = "sensor"
address = "192.0.2.40"
port = 502
modbus = { map = "airedale-pco", unit_id = 1, timeout = "2s", retries = 1 }

# An RS-485 transmitter behind a serial gateway: the gateway's address, the transmitter's
# station number as unit_id; framing = "rtu" when the gateway passes RTU frames through as-is.
# Devices at one address and port share one connection and are read one after another.
[[devices]]
name = "th-机柜A"
kind = "sensor"
address = "192.0.2.41"
modbus = { map = "xy-md02", unit_id = 7, framing = "tcp" }

# A device without a shipped map: your own file, or the registers inline.
[[devices]]
name = "水浸-1"
kind = "sensor"
address = "192.0.2.42"
[devices.modbus]
# map = "/etc/roomwatch/maps/my-collector.toml"
registers = [
  { metric = "water_leak", address = 0, function = "discrete", labels = { zone = "空调下方" } },
  { metric = "temperature_celsius", address = 10, type = "int16", scale = 0.1, labels = { sensor = "进风" } },
]
"""


class ModbusOptions(BaseModel):
    """The ``modbus`` sub-table of a device."""

    model_config = ConfigDict(extra="forbid")

    map: str | None = Field(None, description="Shipped map name, or the path of a site's map file.")
    registers: list[RegisterSpec] = Field(
        default_factory=list, description="Registers inline (added to the map's, if both are given).")
    unit_id: int = Field(1, ge=0, le=255, description="Unit (slave) id; behind a gateway the station number.")
    framing: Literal["tcp", "rtu"] = Field(
        "tcp", description="tcp (MBAP) or rtu (RTU frames over TCP, transparent serial gateways).")
    timeout: Duration = Field(2.0, gt=0, le=60, description="Wait this long for each answer.")
    retries: int = Field(1, ge=0, le=5, description="Ask an unanswered request again this often.")
    max_registers: int = Field(
        MAX_REGISTERS, ge=1, le=MAX_REGISTERS, description="Registers per request (some devices take fewer).")
    max_gap: int = Field(
        0, ge=0, le=32, description="Read across this many unmapped registers to save a request.")

    @model_validator(mode="after")
    def _something(self) -> ModbusOptions:
        if self.map is None and not self.registers:
            raise ValueError("give map (a shipped name or a file) or registers")
        if self.map is not None:
            try:
                load_map(self.map)  # a missing or bad map is a config error, found by validate
            except ConfigError as err:
                raise ValueError("; ".join(err.problems)) from None
        return self

    def secret_values(self) -> list[str]:
        """Modbus has no credentials: nothing to redact."""
        return []
