"""The weekly report's 服务器安全 section: each server × each posture check over the week,
正常 / 异常 / 无法检查 / 无数据, judged from the hourly rollups with the row-9 thresholds."""

from __future__ import annotations

from collections import defaultdict

from monitor.report.items import Item, Status
from monitor.report.judge import Loaded, device_of

# Which metrics answer which check (the check names of collectors/posture).
CHECK_METRICS: dict[str, tuple[str, ...]] = {
    "antivirus": ("av_installed", "av_running", "av_signature_age_days", "av_realtime_enabled"),
    "patches": ("patch_age_days", "patch_security_pending"),
    "removable_media": ("usb_storage_allowed", "removable_media_mounted", "optical_drive_enabled"),
    "password_policy": ("password_min_length", "password_classes_required", "password_max_age_days"),
    "egress": ("egress_public_connections", "egress_mail_connections"),
    "logs": ("log_truncated", "log_removed", "journal_cleared", "journal_gaps", "log_cleared"),
    "software": ("software_added", "software_removed", "software_installed_packages"),
    "privileged_accounts": ("privileged_unapproved_accounts", "accounts_unused"),
}


def rows(data: Loaded, item: Item, start: float, end: float) -> list[dict[str, object]]:
    """``[{"device": name, "checks": {check: status value}}]`` for every server with posture data."""
    checks = {c.metric: c for c in item.checks}
    cells: dict[str, dict[str, Status]] = defaultdict(dict)

    def mark(device: str, check: str, status: Status) -> None:
        order = (Status.NO_DATA, Status.NORMAL, Status.UNAVAILABLE, Status.ABNORMAL)
        old = cells[device].get(check, Status.NO_DATA)
        cells[device][check] = max(old, status, key=order.index)

    for check, metrics in CHECK_METRICS.items():
        for metric in metrics:
            for (_, labels), rollups in data.series(metric, start, end).items():
                rule = checks.get(metric)
                bad = rule is not None and any(rule.bad(r.min) or rule.bad(r.max) for r in rollups)
                mark(device_of(dict(labels)), check, Status.ABNORMAL if bad else Status.NORMAL)
    for (_, labels), rollups in data.series("posture_check_unavailable", start, end).items():
        named = dict(labels)
        if any(r.max > 0.5 for r in rollups) and named.get("check") in CHECK_METRICS:
            mark(device_of(named), named["check"], Status.UNAVAILABLE)
    return [{"device": device, "checks": {c: cells[device].get(c, Status.NO_DATA).value
                                          for c in CHECK_METRICS}}
            for device in sorted(cells)]
