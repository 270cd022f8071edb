"""A fixed scenario in roomwatch's metric names: two sites, their rooms, devices and alerts."""

from __future__ import annotations

from monitor.core.model import Alert, AlertState, Reading, Severity


def device(name: str, kind: str, site: str, room: str, level: str = "2") -> dict[str, str]:
    return {"device": name, "kind": kind, "site": site, "room": room, "level": level}


def scenario(now: float) -> tuple[list[Reading], list[Alert]]:
    th_a, th_b = device("th-a1", "sensor", "总部", "A 机房"), device("th-b1", "sensor", "分院", "B 机房")
    ups, sw = (
        device("ups-1", "ups", "总部", "A 机房", "1"),
        device("core-sw", "switch", "总部", "A 机房", "1"),
    )
    fw, db = (
        device("fw-1", "firewall", "总部", "A 机房", "1"),
        device("db-1", "server", "总部", "A 机房", "1"),
    )
    nms = device("nms", "server", "总部", "A 机房")
    ac, pdu = device("ac-1", "sensor", "总部", "A 机房"), device("pdu-a1", "sensor", "总部", "A 机房")
    out: list[Reading] = []
    for i in range(6):
        ts = now - 3000 + i * 600

        def add(metric: str, value: float, labels: dict[str, str], **extra: str) -> None:
            out.append(Reading(metric, value, {**labels, **extra}, ts))  # noqa: B023

        add("temperature_celsius", 23.0 + i * 0.1, th_a, sensor="north")
        add("humidity_percent", 45.0, th_a, sensor="north")
        add("temperature_celsius", 28.5 + i * 0.2, th_b, sensor="rack-3")
        add("humidity_percent", 78.0, th_b, sensor="rack-3")
        add("ups_on_battery", 1.0 if i >= 4 else 0.0, ups)
        add("ups_battery_capacity_percent", 100.0 - i * 5, ups)
        add("ups_battery_runtime_minutes", 40.0 - i * 4, ups)
        add("ups_design_runtime_minutes", 30.0, ups)
        add("ups_on_bypass", 0.0, ups)
        for line in ("1", "2", "3"):
            add("ups_output_load_percent", 42.0, ups, phase=line)
            add("ups_input_voltage_volts", 0.0 if i >= 4 else 221.0, ups, phase=line)
        add("ups_battery_replace", 0.0, ups)
        for dev, up in (
            (sw, 1.0),
            (fw, 0.0 if i == 5 else 1.0),
            (db, 1.0),
            (th_a, 1.0),
            (th_b, 1.0),
            (ups, 1.0),
            (nms, 1.0),
        ):
            add("up", up, dev)
        for dev in (sw, fw, db):
            add("cpu_percent", 10.0 + i, dev)
            add("memory_percent", 40.0, dev)
        add("if_oper_up", 1.0, sw, ifname="GE0/0/1", role="uplink")
        add("if_oper_up", 0.0 if i == 5 else 1.0, sw, ifname="GE0/0/2")
        for port in ("GE0/0/1", "GE0/0/2"):
            add("if_in_bps", 1e6 * (i + 1), sw, ifname=port)
            add("if_out_bps", 2e6 * (i + 1), sw, ifname=port)
            add("if_utilization_percent", 12.5, sw, ifname=port)
            add("if_in_errors_per_second", 0.0, sw, ifname=port)
            add("if_out_errors_per_second", 0.5, sw, ifname=port)
        add("disk_used_percent", 71.0, db, mount="/")
        add("disk_used_percent", 93.0, db, mount="/data")
        add("raid_degraded", 1.0 if i >= 3 else 0.0, db, array="md0")
        add("backup_age_hours", 3.0 + i, db, job="oa-db")
        add("link_rtt_ms", 8.0, nms, link="医保专线", probe="icmp")
        add("link_loss_percent", 0.0, nms, link="医保专线", probe="icmp")
        add("link_loss_percent", 100.0 if i == 5 else 0.0, nms, link="门户网站", probe="http")
        add("link_rtt_ms", 120.0, nms, link="门户网站", probe="http")
        add("ac_running", 0.0 if i == 5 else 1.0, ac, unit="1")
        add("ac_alarm", 1.0 if i == 5 else 0.0, ac, unit="1", alarm="high_pressure")
        add("ac_supply_temperature_celsius", 17.5, ac, unit="1")
        add("ac_return_temperature_celsius", 25.0 + i * 0.1, ac, unit="1")
        add("ac_setpoint_celsius", 24.0, ac, unit="1")
        add("water_leak", 0.0, th_a, zone="空调下方")
        add("smoke_detected", 0.0, th_a, zone="北区")
        add("door_open", 1.0 if i == 2 else 0.0, th_a, door="正门", in_hours="0")
        add("door_forced", 0.0, th_a, door="正门")
        add("pdu_phase_current_amperes", 6.5 + i, pdu, phase="1")
        add("pdu_load_percent", 27.0, pdu)
    ts = now - 900
    out += [
        Reading("arp_unknown_mac", 1.0, {**nms, "ip": "192.0.2.77", "mac": "02:00:00:00:00:77"}, ts),
        Reading(
            "arp_ip_mismatch",
            1.0,
            {**nms, "ip": "192.0.2.10", "mac": "02:00:00:00:00:10", "owner": "财务科"},
            ts,
        ),
        Reading("arp_ip_conflict", 1.0, {**nms, "ip": "192.0.2.11", "mac": "02:00:00:00:00:11"}, ts),
        Reading("arp_gateway_spoof", 1.0, {**nms, "ip": "192.0.2.1", "mac": "02:00:00:00:00:66"}, ts),
        Reading(
            "config_changed",
            1.0,
            {**sw, "in_window": "0", "window": ""},
            ts,
            {"version": "7", "previous": "6", "diff": "- vlan 10\n+ vlan 20"},
        ),
    ]
    fired = Alert(
        rule="room_temperature",
        labels=th_b | {"sensor": "rack-3"},
        state=AlertState.FIRING,
        severity=Severity.WARNING,
        value=29.1,
        active_at=now - 1800,
        fired_at=now - 1800,
        summary="th-b1 机房温度 29.1 °C，超出 18~28 °C 范围",
        clause="003:163",
    )
    down = Alert(
        rule="device_down",
        labels=fw,
        state=AlertState.FIRING,
        severity=Severity.CRITICAL,
        value=0.0,
        active_at=now - 300,
        fired_at=now - 240,
        summary="fw-1 无响应",
        clause="003:185",
    )
    resolved = Alert(
        rule="device_down",
        labels=fw,
        state=AlertState.RESOLVED,
        severity=Severity.CRITICAL,
        value=0.0,
        active_at=now - 300,
        fired_at=now - 240,
        resolved_at=now - 60,
        summary="fw-1 无响应",
        clause="003:185",
    )
    return out, [fired, down, resolved]
