"""Write the Grafana dashboards (InfluxQL) from one description: ``python dashboards/build.py``.

The JSON files beside this script are what Grafana reads; they are generated so that every panel
uses the same datasource, variables, filters and alert annotations. A test checks that the
committed JSON is this script's output, that every panel's query runs on a real InfluxDB and
returns series, and that no panel asks for a metric roomwatch does not emit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DATASOURCE = {"type": "influxdb", "uid": "roomwatch-influx"}
FILTER = '"site" =~ /^$site$/ AND "room" =~ /^$room$/ AND "device" =~ /^$device$/'
NET = '"kind" =~ /^(switch|router|firewall)$/'
REG = "（规章 %s）"


def q(
    metric: str,
    *,
    where: str = "",
    by: str = "device",
    agg: str = "mean",
    fill: str = "none",
    filtered: bool = True,
) -> str:
    """A time-series query of one metric, grouped by time and ``by`` tags."""
    conds = [c for c in (where, FILTER if filtered else "", "$timeFilter") if c]
    group = ", ".join(["time($__interval)", *(f'"{t.strip()}"' for t in by.split(",") if t.strip())])
    return f'SELECT {agg}("value") FROM "{metric}" WHERE {" AND ".join(conds)} GROUP BY {group} fill({fill})'


def last(metric: str, *, where: str = "", by: str = "device") -> str:
    """The newest value of each series of ``metric`` in the time range (for stats and tables)."""
    conds = [c for c in (where, FILTER, "$timeFilter") if c]
    group = ", ".join(f'"{t.strip()}"' for t in by.split(","))
    return f'SELECT last("value") FROM "{metric}" WHERE {" AND ".join(conds)} GROUP BY {group}'


def target(
    query: str, ref: str = "A", alias: str = "$tag_device", fmt: str = "time_series"
) -> dict[str, Any]:
    return {
        "refId": ref,
        "datasource": DATASOURCE,
        "rawQuery": True,
        "query": query,
        "resultFormat": fmt,
        "alias": alias,
    }


def panel(
    title: str,
    targets: list[dict[str, Any]],
    *,
    kind: str = "timeseries",
    unit: str = "",
    description: str = "",
    band: tuple[float, float] | None = None,
    w: int = 12,
    h: int = 8,
    mappings: list[dict[str, Any]] | None = None,
    minmax: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """One panel. ``band`` draws an allowed range: red outside, green inside, as lines and areas."""
    defaults: dict[str, Any] = {"unit": unit} if unit else {}
    if band is not None:
        low, high = band
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [
                {"color": "red", "value": None},
                {"color": "green", "value": low},
                {"color": "red", "value": high + 1e-9},
            ],
        }
        defaults["custom"] = {"thresholdsStyle": {"mode": "line+area"}}
    if minmax is not None:
        defaults["min"], defaults["max"] = minmax
    if mappings:
        defaults["mappings"] = mappings
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "gridPos": {"w": w, "h": h},
    }


def variable(name: str, label: str, key: str, where: str = "") -> dict[str, Any]:
    query = f'SHOW TAG VALUES FROM "up" WITH KEY = "{key}"' + (f" WHERE {where}" if where else "")
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": query,
        "definition": query,
        "refresh": 2,
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"text": "All", "value": "$__all"},
        "sort": 1,
    }


VARIABLES = [
    variable("site", "站点 site", "site"),
    variable("room", "机房 room", "room", '"site" =~ /^$site$/'),
    variable("device", "设备 device", "device", '"site" =~ /^$site$/ AND "room" =~ /^$room$/'),
]
ANNOTATION = {
    "name": "告警 alerts",
    "datasource": DATASOURCE,
    "enable": True,
    "iconColor": "red",
    "query": 'SELECT "summary", "rule", "severity" FROM "alerts" WHERE "state" = \'firing\' AND '
    '"device" =~ /^$device$/ AND $timeFilter',
    "textColumn": "summary",
    "tagsColumn": "rule,severity",
}
ON_BATTERY = [
    {
        "type": "value",
        "options": {
            "0": {"text": "市电 mains", "color": "green"},
            "1": {"text": "电池 battery", "color": "red"},
        },
    }
]
UP_DOWN = [
    {
        "type": "value",
        "options": {"0": {"text": "离线 down", "color": "red"}, "1": {"text": "在线 up", "color": "green"}},
    }
]
ENV_CLAUSE = "003 信息中心机房管理制度 四、环境管理制度 5；003 中心机房巡检管理制度 一、3"
AC_CLAUSE = "003 中心机房巡检管理制度 一、3"


def states(zero: tuple[str, str], one: tuple[str, str]) -> list[dict[str, Any]]:
    """A value mapping for a 0/1 state: (text, colour) of each."""
    return [{"type": "value", "options": {"0": {"text": zero[0], "color": zero[1]},
                                          "1": {"text": one[0], "color": one[1]}}}]


RUN_STOP = states(("停机 stopped", "red"), ("运行 running", "green"))
ALARM = states(("正常 clear", "green"), ("报警 alarm", "red"))
DOOR = states(("关 closed", "green"), ("开 open", "orange"))


def state(metric: str, by: str, ref: str, alias: str, agg: str = "max") -> dict[str, Any]:
    """A 0/1 series held until it changes (state timelines)."""
    return target(q(metric, agg=agg, fill="previous", by=by), ref, alias)


def pack_threshold(rule: str, key: str) -> float:
    """A threshold as the shipped rule pack states it, so the drawn line and the alert agree."""
    import tomllib

    pack = tomllib.loads((HERE.parent / "rules" / "packs" / "regulation.toml").read_text(encoding="utf-8"))
    return float(next(r[key] for r in pack["rules"] if r["name"] == rule))


def facility_panels() -> list[dict[str, Any]]:
    """Air conditioning, water, smoke, doors and rack PDUs, below the room panels."""
    rated = pack_threshold("pdu_phase_overcurrent", "above")
    return [
        panel("精密空调运行 AC running",
              [state("ac_running", "device, unit", "A", "$tag_device $tag_unit", "min")],
              kind="state-timeline", mappings=RUN_STOP, w=24, h=5,
              description="检查机房空调工作状态 " + REG % AC_CLAUSE + "。0 = 停机 stopped。"),
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
           description="工作时间外开门、强行开门告警（003 机房访问制度）。"),
        panel("PDU 相电流 Phase current",
              [target(q("pdu_phase_current_amperes", by="device, phase"), alias="$tag_device $tag_phase")],
              unit="amp", band=(0.0, rated),
              description=f"默认额定 {rated:g} A（本站策略，按 PDU 逐台覆盖）。"
                          f"Default {rated:g} A: site policy."),
        panel("PDU 负载 Load", [target(q("pdu_load_percent"))], unit="percent", minmax=(0, 100)),
    ]


def dashboards() -> dict[str, dict[str, Any]]:
    """uid -> (title, panels)."""
    env = [
        panel(
            "机房温度 Room temperature",
            [
                target(
                    q("temperature_celsius", where="\"kind\" = 'sensor'", by="room, device, sensor"),
                    alias="$tag_room $tag_device $tag_sensor",
                )
            ],
            unit="celsius",
            band=(18.0, 28.0),
            description="应保持在 18~28 ℃ 之间 " + REG % ENV_CLAUSE + "。The 18–28 °C band is drawn.",
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
            band=(35.0, 75.0),
            description="应保持在 35~75% 之间 " + REG % ENV_CLAUSE + "。The 35–75 % band is drawn.",
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
            band=(18.0, 28.0),
        ),
        panel(
            "当前湿度 Now",
            [target(last("humidity_percent", by="room, device, sensor"), alias="$tag_room $tag_sensor")],
            kind="stat",
            unit="percent",
            band=(35.0, 75.0),
        ),
        *facility_panels(),
    ]
    ups = [
        panel(
            "供电 Mains / battery",
            [target(q("ups_on_battery", agg="max", fill="previous"))],
            kind="state-timeline",
            mappings=ON_BATTERY,
            w=24,
            h=5,
            description="1 = 电池供电 on battery。",
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
        panel("负载 Output load", [target(q("ups_output_load_percent"))], unit="percent", minmax=(0, 100)),
        panel("输入电压 Input voltage", [target(q("ups_input_voltage_volts"))], unit="volt"),
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
    net = [
        panel(
            "设备在线 Devices up",
            [target(q("up", where=NET, agg="min", fill="previous"))],
            kind="state-timeline",
            mappings=UP_DOWN,
            w=24,
            h=6,
        ),
        panel("CPU", [target(q("cpu_percent", where=NET))], unit="percent", minmax=(0, 100)),
        panel("内存 Memory", [target(q("memory_percent", where=NET))], unit="percent", minmax=(0, 100)),
        panel(
            "接口状态 Interfaces down",
            [
                target(
                    'SELECT last("value") AS "up" FROM "if_oper_up" WHERE '
                    + FILTER
                    + ' AND $timeFilter GROUP BY "device", "ifname", "role"',
                    fmt="table",
                )
            ],
            kind="table",
            w=24,
            mappings=UP_DOWN,
        ),
        panel(
            "入流量 Traffic in",
            [target(q("if_in_bps", by="device, ifname"), alias="$tag_device $tag_ifname")],
            unit="bps",
        ),
        panel(
            "出流量 Traffic out",
            [target(q("if_out_bps", by="device, ifname"), alias="$tag_device $tag_ifname")],
            unit="bps",
        ),
        panel(
            "利用率 Utilisation",
            [target(q("if_utilization_percent", by="device, ifname"), alias="$tag_device $tag_ifname")],
            unit="percent",
        ),
        panel(
            "错误 Errors",
            [
                target(q("if_in_errors_per_second", by="device, ifname"), "A", "$tag_device $tag_ifname in"),
                target(
                    q("if_out_errors_per_second", by="device, ifname"), "B", "$tag_device $tag_ifname out"
                ),
            ],
            unit="pps",
        ),
        panel(
            "通道时延 Link RTT",
            [target(q("link_rtt_ms", by="link", filtered=False), alias="$tag_link")],
            unit="ms",
            description="网络通道 (003 巡检) 与网站可用性 (000: 每5分钟检测一次)。",
        ),
        panel(
            "通道丢包 Link loss",
            [target(q("link_loss_percent", by="link", agg="max", filtered=False), alias="$tag_link")],
            unit="percent",
            minmax=(0, 100),
        ),
    ]
    servers = [
        panel(
            "服务器在线 Servers up",
            [target(q("up", where="\"kind\" = 'server'", agg="min", fill="previous"))],
            kind="state-timeline",
            mappings=UP_DOWN,
            w=24,
            h=5,
        ),
        panel(
            "CPU", [target(q("cpu_percent", where="\"kind\" = 'server'"))], unit="percent", minmax=(0, 100)
        ),
        panel(
            "内存 Memory",
            [target(q("memory_percent", where="\"kind\" = 'server'"))],
            unit="percent",
            minmax=(0, 100),
        ),
        panel(
            "磁盘 Disk used",
            [target(q("disk_used_percent", by="device, mount"), alias="$tag_device $tag_mount")],
            unit="percent",
            minmax=(0, 100),
        ),
        panel(
            "RAID",
            [target(last("raid_degraded", by="device, array"), alias="$tag_device $tag_array")],
            kind="stat",
            mappings=[
                {
                    "type": "value",
                    "options": {
                        "0": {"text": "正常 OK", "color": "green"},
                        "1": {"text": "降级 degraded", "color": "red"},
                    },
                }
            ],
        ),
        panel(
            "备份 Backup age", [target(q("backup_age_hours", by="device, job"), alias="$tag_job")], unit="h"
        ),
    ]
    security = [
        panel(
            "IP–MAC 违规 Binding violations",
            [
                target(q(m, agg="count", by="ip, mac", filtered=False), ref, f"{m} $tag_ip $tag_mac")
                for ref, m in zip(
                    "ABCD",
                    ("arp_unknown_mac", "arp_ip_mismatch", "arp_ip_conflict", "arp_gateway_spoof"),
                    strict=True,
                )
            ],
            kind="barchart",
            w=24,
        ),
        panel(
            "违规明细 Violations",
            [
                target(
                    'SELECT last("value") FROM "arp_unknown_mac", "arp_ip_mismatch", "arp_ip_conflict", '
                    '"arp_gateway_spoof" WHERE $timeFilter GROUP BY "ip", "mac", "device"',
                    fmt="table",
                )
            ],
            kind="table",
            w=24,
        ),
        panel(
            "配置变更 Configuration changes",
            [
                target(
                    'SELECT "value", "in_window", "version", "diff" FROM "config_changed" '
                    'WHERE "value" = 1 AND '
                    + FILTER
                    + ' AND $timeFilter GROUP BY "device"',
                    fmt="table",
                )
            ],
            kind="table",
            w=24,
            description="维护窗口外的变更 (in_window = 0) 须有记录 (003)。",
        ),
    ]
    alerts = [
        panel(
            "告警 Firing alerts",
            [
                target(
                    'SELECT "summary", "severity", "rule", "device", "clause" FROM "alerts" '
                    'WHERE "state" = \'firing\' '
                    'AND "device" =~ /^$device$/ AND $timeFilter',
                    fmt="table",
                )
            ],
            kind="table",
            w=24,
            h=10,
        ),
        panel(
            "按级别 By severity",
            [
                target(
                    'SELECT count("firing") FROM "alerts" WHERE "state" = \'firing\' AND $timeFilter '
                    'GROUP BY time($__interval), "severity" fill(0)',
                    alias="$tag_severity",
                )
            ],
            kind="barchart",
            w=24,
        ),
    ]
    return {
        "roomwatch-environment": {"title": "机房环境 Machine-room environment", "panels": env},
        "roomwatch-ups": {"title": "UPS 电源", "panels": ups},
        "roomwatch-network": {"title": "网络设备 Network", "panels": net},
        "roomwatch-servers": {"title": "服务器 Servers", "panels": servers},
        "roomwatch-security": {"title": "安全 Security", "panels": security},
        "roomwatch-alerts": {"title": "告警总览 Alerts", "panels": alerts},
    }


def render(uid: str, title: str, panels: list[dict[str, Any]]) -> dict[str, Any]:
    x = y = 0
    for i, p in enumerate(panels, start=1):
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if x + w > 24:
            x, y = 0, y + h
        p["id"], p["gridPos"] = i, {"x": x, "y": y, "w": w, "h": h}
        x += w
    return {
        "uid": uid,
        "title": title,
        "tags": ["roomwatch"],
        "timezone": "browser",
        "editable": True,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-24h", "to": "now"},
        "templating": {"list": VARIABLES},
        "annotations": {"list": [ANNOTATION]},
        "panels": panels,
    }


def files() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {
        f"{uid}.json": json.dumps(render(uid, d["title"], d["panels"]), ensure_ascii=False, indent=2) + "\n"
        for uid, d in dashboards().items()
    }


if __name__ == "__main__":
    for name, text in files().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(name, file=sys.stderr)
