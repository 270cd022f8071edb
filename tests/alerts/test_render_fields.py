"""What a message shows: the device named once in the title, plain numbers (never 4.92446e+06)."""

from __future__ import annotations

from alerts.message import render
from alerts.render import fields
from monitor.core.model import Alert, AlertState, Severity


def alert(summary: str, value: float) -> Alert:
    return Alert(rule="room_temperature", labels={"device": "room1-th", "room": "一号机房"},
                 state=AlertState.FIRING, severity=Severity.WARNING, value=value, active_at=1_764_000_000.0,
                 summary=summary, clause="《信息中心机房管理制度》四、环境管理制度 第5条")


def test_the_title_names_the_device_once() -> None:
    title, body = render(alert("room1-th 机房温度 29.0 °C，超出 18–28 °C 范围", 29.0))
    assert title.count("room1-th") == 1, title
    assert title.endswith("room1-th 机房温度 29.0 °C，超出 18–28 °C 范围")
    assert "设备: room1-th" in body
    # A summary that does not start with the device is left whole.
    assert fields(alert("机房温度过高", 29.0))["what"] == "机房温度过高"


def test_values_print_as_plain_decimals() -> None:
    assert fields(alert("x", 4_924_460.0))["value"] == "4924460"
    assert fields(alert("x", 28.04))["value"] == "28.04"
    _title, body = render(alert("room1-th 出口流量", 4_924_460.0))
    assert "数值: 4924460" in body and "e+06" not in body
