"""The machine-room dashboards: environment (with the facilities) and UPS."""

from __future__ import annotations

from typing import Any

from dashboards.panels import (
    ALARM,
    DOOR,
    ON_BATTERY,
    REG,
    RUN_STOP,
    band,
    last,
    pack_rule,
    panel,
    q,
    state,
    target,
)


def facility_panels() -> list[dict[str, Any]]:
    """Air conditioning, water, smoke, doors and rack PDUs, below the room panels."""
    rated = pack_rule("pdu_phase_overcurrent").condition.high
    assert rated is not None, "pdu_phase_overcurrent is an above rule"
    return [
        panel("精密空调运行 AC running",
              [state("ac_running", "device, unit", "A", "$tag_device $tag_unit", "min")],
              kind="state-timeline", mappings=RUN_STOP, w=24, h=5,
              description=("检查机房空调工作状态 " + REG % pack_rule("ac_stopped").clause
                           + "。0 = 停机 stopped。")),
        panel("送风 / 回风 / 设定 Supply, return, set point", [
            target(q("ac_supply_temperature_celsius", by="device, unit"), "A", "$tag_device 送风 supply"),
            target(q("ac_return_temperature_celsius", by="device, unit"), "B", "$tag_device 回风 return"),
            target(q("ac_setpoint_celsius", by="device, unit"), "C", "$tag_device 设定 set point"),
        ], unit="celsius"),
        panel("空调告警 AC alarms", [state("ac_alarm", "device, unit, alarm", "A", "$tag_device $tag_alarm")],
              kind="state-timeline", mappings=ALARM),
        panel("漏水 / 烟感 Water leak / smoke", [
            state("water_leak", "device, zone", "A", "漏水 $tag_zone"),
            state("smoke_detected", "device, zone", "B", "烟感 $tag_zone"),
        ], kind="state-timeline", mappings=ALARM, description="一经检测即 critical 告警 critical at once。"),
        panel("门禁 Doors", [
            state("door_open", "device, door", "A", "开门 $tag_door"),
            state("door_forced", "device, door", "B", "强行 $tag_door"),
        ], kind="state-timeline", mappings=DOOR,
           description=("工作时间外开门、强行开门告警"
                        + REG % pack_rule("door_forced").clause + "。")),
        panel("PDU 相电流 Phase current",
              [target(q("pdu_phase_current_amperes", by="device, phase"), alias="$tag_device $tag_phase")],
              unit="amp", band=(0.0, rated),
              description=f"默认额定 {rated:g} A（本站策略，按 PDU 逐台覆盖）。"
                          f"Default {rated:g} A: site policy."),
        panel("PDU 负载 Load", [target(q("pdu_load_percent"))], unit="percent", minmax=(0, 100)),
    ]


def environment() -> list[dict[str, Any]]:
    """Temperature and humidity with the pack's bands, then the facilities."""
    temperature, humidity = pack_rule("room_temperature"), pack_rule("room_humidity")
    (t_low, t_high), (h_low, h_high) = band(temperature), band(humidity)
    return [
        panel(
            "机房温度 Room temperature",
            [
                target(
                    q("temperature_celsius", where="\"kind\" = 'sensor'", by="room, device, sensor"),
                    alias="$tag_room $tag_device $tag_sensor",
                )
            ],
            unit="celsius",
            band=(t_low, t_high),
            description=f"应保持在 {t_low:g}~{t_high:g} ℃ 之间" + REG % temperature.clause
            + f"。The {t_low:g}–{t_high:g} °C band is drawn.",
        ),
        panel(
            "机房湿度 Room humidity",
            [
                target(
                    q("humidity_percent", by="room, device, sensor"),
                    alias="$tag_room $tag_device $tag_sensor",
                )
            ],
            unit="percent",
            band=(h_low, h_high),
            description=f"应保持在 {h_low:g}~{h_high:g}% 之间" + REG % humidity.clause
            + f"。The {h_low:g}–{h_high:g} % band is drawn.",
        ),
        panel(
            "当前温度 Now",
            [
                target(
                    last("temperature_celsius", where="\"kind\" = 'sensor'", by="room, device, sensor"),
                    alias="$tag_room $tag_sensor",
                )
            ],
            kind="stat",
            unit="celsius",
            band=(t_low, t_high),
        ),
        panel(
            "当前湿度 Now",
            [target(last("humidity_percent", by="room, device, sensor"), alias="$tag_room $tag_sensor")],
            kind="stat",
            unit="percent",
            band=(h_low, h_high),
        ),
        *facility_panels(),
    ]


def ups() -> list[dict[str, Any]]:
    """Mains or battery, charge, runtime, load and the input/output lines."""
    return [
        panel(
            "供电 Mains / battery",
            [
                target(q("ups_on_battery", agg="max", fill="previous")),
                target(q("ups_on_bypass", agg="max", fill="previous"), "B", "$tag_device 旁路 bypass"),
            ],
            kind="state-timeline",
            mappings=ON_BATTERY,
            w=24,
            h=5,
            description="1 = 电池供电 on battery；旁路行 1 = 旁路供电 on bypass（负载未受保护）。",
        ),
        panel(
            "电池容量 Battery capacity",
            [target(q("ups_battery_capacity_percent"))],
            unit="percent",
            minmax=(0, 100),
        ),
        panel(
            "续航 Runtime vs design",
            [
                target(q("ups_battery_runtime_minutes"), "A", "$tag_device 剩余 left"),
                target(q("ups_design_runtime_minutes"), "B", "$tag_device 设计 design"),
            ],
            unit="m",
            description="剩余续航与清单中的设计续航 (design_runtime_minutes)。",
        ),
        # One series per line (phase): a three-phase UPS shows L1, L2 and L3.
        panel(
            "负载 Output load",
            [target(q("ups_output_load_percent", by="device, phase"), alias="$tag_device L$tag_phase")],
            unit="percent",
            minmax=(0, 100),
        ),
        panel(
            "输入电压 Input voltage",
            [target(q("ups_input_voltage_volts", by="device, phase"), alias="$tag_device L$tag_phase")],
            unit="volt",
        ),
        panel(
            "电池需更换 Replace battery",
            [target(last("ups_battery_replace"))],
            kind="stat",
            mappings=[
                {
                    "type": "value",
                    "options": {
                        "0": {"text": "正常 OK", "color": "green"},
                        "1": {"text": "需更换 replace", "color": "red"},
                    },
                }
            ],
        ),
    ]
