"""The facility rules end to end: a Modbus device (pymodbus's own server on 127.0.0.1) whose
registers break each rule, the real daemon, and a local HTTP receiver that gets the alerts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.collectors.modbus.server import modbus_server
from tests.daemons import daemon_log, facility_head, paged_until

# Register -> what it says; every value here breaks exactly one facility rule.
VALUES = {"discrete": {0: 1, 1: 1, 2: 1, 3: 1},      # water, smoke, door open, door forced
          "holding": {0: 0, 1: 1, 2: 200, 3: 1}}     # AC stopped, AC alarm, L1 20.0 A, outlet on
REGISTERS = [
    {"metric": "water_leak", "address": 0, "function": "discrete", "labels": {"zone": "空调下方"}},
    {"metric": "smoke_detected", "address": 1, "function": "discrete", "labels": {"zone": "北区"}},
    {"metric": "door_open", "address": 2, "function": "discrete", "labels": {"door": "正门"}},
    {"metric": "door_forced", "address": 3, "function": "discrete", "labels": {"door": "后门"}},
    {"metric": "ac_running", "address": 0, "labels": {"unit": "1"}},
    {"metric": "ac_alarm", "address": 1, "labels": {"unit": "1", "alarm": "high_pressure"}},
    {"metric": "pdu_phase_current_amperes", "address": 2, "scale": 0.1, "labels": {"phase": "L1"}},
    {"metric": "pdu_outlet_state", "address": 3, "labels": {"outlet": "1"}},
]
# rule -> words of its summary that must reach the receiver
EXPECTED = {"water_leak": "检测到漏水（区域 空调下方）", "smoke_detected": "烟感报警（区域 北区）",
            "door_open_after_hours": "机房门 正门 在工作时间外打开", "door_forced": "机房门 后门 被强行打开",
            "ac_stopped": "精密空调（机组 1）已停机", "ac_alarm": "告警：high_pressure",
            "pdu_phase_overcurrent": "PDU 相 L1 电流 20.0 A，超过额定 16"}


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)


def test_each_facility_rule_reaches_the_receiver(tmp_path: Path, receiver: Any) -> None:
    with modbus_server(VALUES, unit=3) as server:
        config = tmp_path / "roomwatch.toml"
        registers = ",\n  ".join(_toml(r) for r in REGISTERS)
        config.write_text(facility_head(tmp_path, receiver.url, "300ms") + f'''
# Time is a parameter: the stop rule's 2 minutes and the PDU's 1 minute are shortened here.
[[rules.overrides]]
rule = "ac_stopped"
for = "0s"
[[rules.overrides]]
rule = "pdu_phase_overcurrent"
for = "0s"
[[devices]]
name = "动环-1"
kind = "sensor"
room = "一号机房"
address = "127.0.0.1"
port = {server.port}
[devices.modbus]
unit_id = 3
timeout = "1s"
registers = [
  {registers}
]
''', encoding="utf-8")
        told = paged_until(config, receiver, EXPECTED.values())
    missing = {rule: words for rule, words in EXPECTED.items() if words not in told}
    assert not missing, (missing, daemon_log(config))
    assert "《中心机房巡检管理制度》一、检查项目要求 第3条" in told
    # The outlet that is merely on breaks nothing.
    assert "outlet" not in told
