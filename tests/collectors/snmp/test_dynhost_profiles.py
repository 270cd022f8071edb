"""动环 host profiles against snmpsim serving recordings hand-made from each vendor's published MIB
(snmpsim-data has none of these hosts): every sensor state the MIB defines is in them, and a
sensor that is unplugged, in error, offline or read in Fahrenheit must give no reading at all."""

from __future__ import annotations

import asyncio

from collectors.snmp.collector import SnmpCollector
from collectors.snmp.options import SnmpOptions
from tests.collectors.snmp.conftest import Agent

ENV = ("temperature_celsius", "humidity_percent", "water_leak", "smoke_detected", "door_open")


def environment(agent: Agent, community: str, profile: str) -> dict[tuple[str, str], float]:
    """(metric, its one label's value) -> value, for the environment metrics a profile gives."""
    options = SnmpOptions.model_validate({"community": community, "timeout": "5s", "retries": 0})
    col = SnmpCollector("dev", options, address="127.0.0.1", port=agent.port)
    got = asyncio.run(col.collect(1000.0))
    assert col.profile is not None and col.profile.name == profile
    out = {}
    for r in got:
        if r.metric in ENV:
            [label] = r.labels.values()
            out[(r.metric, label)] = r.value
    return out


def test_akcp_sensorprobe2_handmade_recording(snmpsim: Agent) -> None:
    """SPAGENT-MIB sensorProbe tables: hot aisle at highCritical, water under the air conditioner;
    port 3 in sensorError, port 4 offline, the UPS room probe set to Fahrenheit, a relay output,
    an unplugged water input and a dry contact that is no smoke detector give nothing."""
    assert environment(snmpsim, "akcp-sensorprobe2-handmade", "akcp-sensorprobe") == {
        ("temperature_celsius", "冷通道 A1"): 23.0,
        ("temperature_celsius", "热通道 A1"): 38.0,
        ("humidity_percent", "冷通道 A1"): 46.0,
        ("water_leak", "空调下方"): 1.0,
        ("water_leak", "UPS 间地板"): 0.0,
        ("door_open", "机房正门"): 0.0,
        ("smoke_detected", "烟感 北区"): 0.0,
    }


def test_akcp_securityprobe5e_handmade_recording(snmpsim: Agent) -> None:
    """SPAGENT-MIB securityProbe tables: the front door open (critical), water under the power
    cabinet; a probe in error, one in °F, an offline humidity sensor and water input, and a smoke
    detector in sensorError give nothing."""
    assert environment(snmpsim, "akcp-securityprobe5e-handmade", "akcp-sensorprobe") == {
        ("temperature_celsius", "冷通道 B1"): 22.0,
        ("temperature_celsius", "热通道 B1"): 36.0,
        ("humidity_percent", "冷通道 B1"): 48.0,
        ("water_leak", "空调 B 下方"): 0.0,
        ("water_leak", "配电柜下方"): 1.0,
        ("water_leak", "精密空调环绕"): 0.0,
        ("smoke_detected", "机房北区"): 0.0,
        ("door_open", "机房正门"): 1.0,
        ("door_open", "后门"): 0.0,
    }
