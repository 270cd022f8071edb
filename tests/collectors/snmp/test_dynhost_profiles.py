"""动环 host profiles against snmpsim serving recordings hand-made from each vendor's published MIB
(snmpsim-data has none of these hosts): every sensor state the MIB defines is in them, and a
sensor that is unplugged, in error, offline or read in Fahrenheit must give no reading at all."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from collectors.snmp.collector import SnmpCollector
from collectors.snmp.options import SnmpOptions
from tests.collectors.snmp.conftest import Agent
from tests.daemons import daemon_log, facility_head, paged_until

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


def test_akcp_sp2plus_handmade_recording(snmpsim: Agent) -> None:
    """SPAGENT-MIB plusSeries tables (sysObjectID the bare enterprise): smoke in the wiring closet
    ceiling (critical), the outlet air at highWarning; a probe in sensorError, one in Fahrenheit,
    an offline humidity sensor and door input, and a water rope in sensorError give nothing."""
    assert environment(snmpsim, "akcp-sp2plus-handmade", "akcp-spplus") == {
        ("temperature_celsius", "弱电间 进风"): 21.0,
        ("temperature_celsius", "弱电间 出风"): 33.0,
        ("humidity_percent", "弱电间 进风"): 52.0,
        ("water_leak", "空调冷凝水盘"): 0.0,
        ("smoke_detected", "弱电间吊顶"): 1.0,
        ("door_open", "弱电间门"): 0.0,
    }


def test_netbotz750_handmade_recording(snmpsim: Agent) -> None:
    """NetBotz50-MIB: tenths of a degree and of a percent; the rack exhaust at 41.2 °C is read
    though the appliance's own alert on it is critical; a rear door open and a leak under the air
    conditioner; unplugged sensors (empty ValueStr) and undefined(-1) states give nothing."""
    assert environment(snmpsim, "netbotz750-handmade", "netbotz5") == {
        ("temperature_celsius", "机柜 A01 进风"): 22.4,
        ("temperature_celsius", "机柜 A01 出风"): 41.2,
        ("humidity_percent", "机柜 A01 进风"): 45.3,
        ("door_open", "A01 前门"): 0.0,
        ("door_open", "A01 后门"): 1.0,
        ("smoke_detected", "北区吊顶"): 0.0,
        ("water_leak", "精密空调下方"): 1.0,
        ("water_leak", "配电柜下方"): 0.0,
    }


def test_netbotz450_handmade_recording(snmpsim: Agent) -> None:
    """NETBOTZ410-MIB, the older tree: the same columns; low humidity read though the appliance
    warns on it, the rear door open; the unplugged probe and the null(-1) door give nothing."""
    assert environment(snmpsim, "netbotz450-handmade", "netbotz4") == {
        ("temperature_celsius", "机柜 B03 进风"): 22.4,
        ("temperature_celsius", "机柜 B03 出风"): 35.6,
        ("humidity_percent", "机柜 B03 进风"): 28.7,
        ("door_open", "B03 前门"): 0.0,
        ("door_open", "B03 后门"): 1.0,
    }


def test_akcp_handmade_recordings_through_the_daemon_to_the_receiver(
        snmpsim: Agent, receiver: Any, tmp_path: Path) -> None:
    """The real daemon polls the three AKCP recordings on loopback: the water sensors in alarm
    page through the pack's water_leak rule, the smoke through smoke_detected, the open front door
    through door_open_after_hours; the dry sensors and those in error page nothing."""
    devices = "".join(f'''
[[devices]]
name = "{name}"
kind = "sensor"
room = "一号机房"
address = "127.0.0.1"
port = {snmpsim.port}
[devices.snmp]
community = "{community}"
timeout = "400ms"
retries = 0
''' for name, community in (("动环-akcp-1", "akcp-sensorprobe2-handmade"),
                            ("动环-akcp-2", "akcp-securityprobe5e-handmade"),
                            ("动环-akcp-3", "akcp-sp2plus-handmade")))
    config = tmp_path / "roomwatch.toml"
    config.write_text(facility_head(tmp_path, receiver.url, "1s") + devices, encoding="utf-8")
    expected = ["动环-akcp-1 检测到漏水（区域 空调下方）", "动环-akcp-2 检测到漏水（区域 配电柜下方）",
                "动环-akcp-2 机房门 机房正门 在工作时间外打开", "动环-akcp-3 烟感报警（区域 弱电间吊顶）"]
    told = paged_until(config, receiver, expected)
    missing = [words for words in expected if words not in told]
    assert not missing, (missing, daemon_log(config))
    for quiet in ("UPS 间地板", "空调 B 下方", "精密空调环绕", "后门", "Switch Port 5", "电池间",
                  "空调冷凝水盘", "地板下环绕", "弱电间门"):
        assert quiet not in told
