"""The IT dashboards: network devices, servers, security and the alert overview."""

from __future__ import annotations

from typing import Any

from dashboards.panels import (
    FILTER,
    NET,
    REG,
    UP_DOWN,
    last,
    pack_rule,
    panel,
    q,
    target,
)


def network() -> list[dict[str, Any]]:
    """Network devices up, CPU, memory, interfaces (state, traffic, errors) and channel RTT/loss."""
    return [
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
            description=("网络通道与网站可用性（每 5 分钟检测）"
                         + REG % pack_rule("website_unavailable").clause + "。"),
        ),
        panel(
            "通道丢包 Link loss",
            [target(q("link_loss_percent", by="link", agg="max", filtered=False), alias="$tag_link")],
            unit="percent",
            minmax=(0, 100),
        ),
    ]


def servers() -> list[dict[str, Any]]:
    """Servers up, memory, disk use and RAID."""
    return [
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


def security() -> list[dict[str, Any]]:
    """IP–MAC binding violations and their details, and configuration changes."""
    return [
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
            description=("维护窗口外的变更 (in_window = 0) 须有记录"
                         + REG % pack_rule("config_changed").clause + "。"),
        ),
    ]


def alerts() -> list[dict[str, Any]]:
    """Firing alerts and their count by severity."""
    return [
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
