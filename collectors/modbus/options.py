"""The ``modbus`` device sub-table: which register map, which unit, how patiently to ask."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from collectors.modbus.maps import MAX_REGISTERS, RegisterSpec, load_map
from monitor.core.durations import Duration
from monitor.core.errors import ConfigError
from monitor.core.options import PluginOptions

SAMPLE = """\
# Modbus-TCP: precision air conditioners, 动环 collectors, PDUs and temperature-humidity
# transmitters. A register map (data: collectors/modbus/maps/*.toml, or your own file) says what
# each register means; shipped: xy-md02, renke-rs-ws-n01 (transmitters), airedale-pco (air
# conditioner, Carel pCO), clever-mpro (PDU with door/water/smoke ports). Readings include
# ac_running{unit}, ac_alarm{unit,alarm}, ac_supply/return_temperature_celsius,
# ac_setpoint_celsius, water_leak{zone}, smoke_detected{zone}, door_open{door},
# pdu_phase_current_amperes{phase}. A timeout, exception answer or short answer is up 0.
[[devices]]
name = "空调-1"
kind = "sensor"
address = "192.0.2.40"
port = 502
room = "一号机房"
level = 1
[devices.modbus]
map = "airedale-pco"      # a shipped map's name, or the path of your own file
unit_id = 1
framing = "tcp"           # tcp | rtu (RTU frames over TCP)
timeout = "2s"            # each try
retries = 1
max_registers = 125       # per request; some devices take fewer
max_gap = 0               # read across this many unmapped registers to save a request

# RS-485 devices behind a serial gateway: the gateway's address, the station number as unit_id
# (framing = "rtu" for gateways that pass RTU frames through unchanged). Devices at one address
# and port share one connection, read one after another (an RS-485 line carries one request at
# a time; the most patient device's timeout and retries apply). A device without a shipped
# map: map = "/etc/roomwatch/maps/NAME.toml", or the registers inline:
[[devices]]
name = "动环-水浸"
kind = "sensor"
address = "192.0.2.41"
room = "一号机房"
[devices.modbus]
unit_id = 3
registers = [
  { metric = "water_leak", address = 0, function = "discrete", labels = { zone = "空调下方" } },
  { metric = "door_open", address = 1, function = "discrete", labels = { door = "机房正门" } },
  { metric = "temperature_celsius", address = 10, type = "int16", scale = 0.1, labels = { sensor = "冷" } },
]
# Every field of a register entry (a map file's [[registers]] take the same):
#   metric = "ac_alarm"; address = 20 (0-based); function = "holding" (coil|discrete|holding|input)
#   type = "uint16" (bool|int16|uint16|int32|uint32|float32); word_order = "big" (32-bit: big|little)
#   scale = 0.1; offset = 0.0 (value = raw × scale + offset); bit = 3 (one bit of a register)
#   labels = { unit = "1", alarm = "high_pressure" }; map = { "1" = 1, "2" = 0 }; ignore = [32767]
"""

class ModbusOptions(PluginOptions):
    """Read registers over Modbus-TCP (air conditioners, 动环 collectors, PDUs, transmitters)."""

    needs_address: ClassVar[bool] = True

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
