"""The checklist of 003 中心机房巡检管理制度 plus the checks other seeds require, as data."""

from __future__ import annotations

import math
from dataclasses import dataclass

from monitor.core.model import Labels
from monitor.report.results import Finding, ItemResult, Observed, Status

__all__ = ["CONFIG_JOB", "KIND_ROUTED", "POSTURE", "Check", "Finding", "Item", "ItemResult", "Observed",
           "Status", "item_for_alert", "items", "logs_item"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One series test: ``metric`` readings whose labels include ``match`` (a label may list
    alternatives separated by ``|``, or start with ``!`` to exclude them) are normal while
    ``low <= value <= high``."""

    metric: str
    low: float = -math.inf
    high: float = math.inf
    match: tuple[tuple[str, str], ...] = ()
    exempt: tuple[tuple[str, str], ...] = ()
    unit: str = ""
    unavailable: bool = False
    """A bad value means "could not check" (无法检查), not an abnormality."""

    def selects(self, labels: Labels) -> bool:
        """Whether a series with these labels is judged by this check."""
        return all(_matches(labels.get(key), want) for key, want in self.match)

    def excuses(self, labels: Labels) -> bool:
        """Whether a series is data for the row but never abnormal (e.g. a configuration change
        made inside a declared maintenance window: recorded, authorised)."""
        return bool(self.exempt) and all(labels.get(key) == want for key, want in self.exempt)

    def bad(self, value: float) -> bool:
        """True when the value is outside the normal band."""
        return not self.low <= value <= self.high


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One row of the checklist: its number, names, the clause it comes from, how it is judged
    from data (``checks``), which other metrics only prove data exists (``present``), and which
    words in a rule name route that rule's alerts here. ``claims`` are labels that route an
    alert here before any words do; ``configured`` False means nothing that could give this row
    evidence is configured, so without data it reads 未配置 rather than 无数据; ``expect`` are
    labels some series must carry (each configured backup job): one missing makes the row 无数据
    unless it is already 异常, so a silent job never hides behind a healthy one."""

    key: str
    number: int
    zh: str
    en: str
    clause: str
    checks: tuple[Check, ...] = ()
    present: tuple[str, ...] = ()
    rule_words: tuple[str, ...] = ()
    claims: tuple[tuple[str, str], ...] = ()
    configured: bool = True
    expect: tuple[tuple[str, str], ...] = ()
    shown: tuple[str, ...] = ()

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every metric whose existence means this item has data."""
        return tuple(dict.fromkeys([c.metric for c in self.checks] + list(self.present)))

    # ``shown``: metrics the row lists per device even when all is normal, so the record says
    # which air conditioners were checked and how they ran, not only a tick.


_NETWORK_KINDS = "switch|router|firewall"


CONFIG_JOB = (("job", "config"),)
"""The label roomwatch's own switch-configuration fetch puts on ``backup_age_hours``: a
设备配置备份 (item 7), never evidence of a data backup (item 8)."""


def items(backup_max_age_hours: float = 26.0, *, backup_jobs: tuple[str, ...] = (),
          syslog: bool = False) -> tuple[Item, ...]:
    """The rows, 1–5 verbatim from 《中心机房巡检管理制度》一、检查项目要求, then IP–MAC,
    configuration, backups, server security and run logs. Row 8 reads 未配置 until
    ``backup_jobs`` ([[backups]] names) exist, and 无数据 while one of them has no data; row 10
    reads 未配置 without ``syslog`` (the receiver enabled) and 无数据 on a day no message came."""
    return (
        Item(key="power", number=1, zh="电源、UPS", en="Power, UPS",
             clause="《中心机房巡检管理制度》一、检查项目要求 第1条",
             checks=(Check(metric="ups_on_battery", high=0.5),
                     Check(metric="ups_on_bypass", high=0.5),
                     Check(metric="ups_battery_replace", high=0.5),
                     # issue 16: what the UPS reports of itself (its routine self-test is no alarm)
                     Check(metric="ups_battery_low", high=0.5),
                     Check(metric="ups_alarm", high=0.5, match=(("alarm", "!testInProgress"),))),
             present=("ups_battery_capacity_percent", "ups_battery_runtime_minutes",
                      "ups_output_load_percent", "ups_input_voltage_volts"),
             rule_words=("ups", "power", "mains")),
        Item(key="server", number=2, zh="服务器", en="Servers",
             clause="《中心机房巡检管理制度》一、检查项目要求 第2条",
             checks=(Check(metric="up", low=0.5, match=(("kind", "server"),)),
                     Check(metric="raid_degraded", high=0.5),
                     # issue 16: the servers' own fault lights (disks, services, fans, PSUs, clock)
                     Check(metric="smart_healthy", low=0.5), Check(metric="systemd_failed_units", high=0.5),
                     Check(metric="ntp_synced", low=0.5), *_fault_lights("server")),
             present=("disk_used_percent",),
             rule_words=("server", "raid", "disk", "cpu", "memory", "host", "smart", "systemd", "ntp")),
        Item(key="environment", number=3, zh="机房环境", en="Room environment",
             clause="《信息中心机房管理制度》四、环境管理制度 第5条",
             checks=(Check(metric="temperature_celsius", low=18, high=28, match=(("kind", "sensor"),),
                           unit="°C"),
                     Check(metric="humidity_percent", low=35, high=75, match=(("kind", "sensor"),),
                           unit="%"),
                     # 「检查机房空调工作状态」 (item 3 itself): the air conditioners are part of this row.
                     Check(metric="ac_running", low=0.5), Check(metric="ac_alarm", high=0.5),
                     Check(metric="water_leak", high=0.5), Check(metric="smoke_detected", high=0.5)),
             present=("ac_supply_temperature_celsius", "ac_return_temperature_celsius",
                      "ac_setpoint_celsius"),
             rule_words=("temperature", "humidity", "temp", "aircon", "hvac", "ac_stopped", "ac_alarm",
                         "water_leak", "smoke"),
             shown=("ac_running", "ac_supply_temperature_celsius", "ac_return_temperature_celsius")),
        Item(key="network", number=4, zh="网络设备", en="Network devices",
             clause="《中心机房巡检管理制度》一、检查项目要求 第4条",
             checks=(Check(metric="up", low=0.5, match=(("kind", _NETWORK_KINDS),)),
                     Check(metric="if_oper_up", low=0.5, match=(("role", "uplink"),)),
                     *_fault_lights(_NETWORK_KINDS),  # issue 16: fans, PSUs, interface errors
                     Check(metric="if_in_errors_per_second", high=1.0, unit="/s"),
                     Check(metric="if_out_errors_per_second", high=1.0, unit="/s")),
             rule_words=("if_", "interface", "uplink", "switch", "router", "firewall")),
        Item(key="channel", number=5, zh="网络通道", en="Network channels",
             clause="《中心机房巡检管理制度》一、检查项目要求 第5条",
             checks=(Check(metric="link_loss_percent", high=99.9, unit="%"),),
             present=("link_rtt_ms",),
             rule_words=("link", "channel", "wan", "internet")),
        Item(key="ipmac", number=6, zh="IP–MAC 绑定", en="IP–MAC binding",
             clause=("《公司信息化工作报告》五、信息安全（安全技术方面）；"
                     "《保险代理公司信息化管理制度》第六章 信息系统安全管理 第4条"),
             checks=(Check(metric="arp_unknown_mac", high=0.5), Check(metric="arp_ip_mismatch", high=0.5),
                     Check(metric="arp_ip_conflict", high=0.5)),
             rule_words=("arp", "ip_mac", "binding", "mac")),
        Item(key="config", number=7, zh="设备配置变更与备份", en="Configuration changes and backups",
             clause=("《信息中心机房管理制度》一、安全保密制度 第4条；"
                     "《公司信息化工作报告》第四部分 信息化运维"),
             checks=(Check(metric="config_changed", high=0.5, exempt=(("in_window", "1"),)),
                     Check(metric="backup_age_hours", high=backup_max_age_hours, match=CONFIG_JOB,
                           unit="h")),
             rule_words=("config",), claims=CONFIG_JOB),
        Item(key="backup", number=8, zh="数据备份", en="Data backup",
             clause="《信息中心机房管理制度》三、中心机房管理制度 第2条",
             checks=(Check(metric="backup_age_hours", high=backup_max_age_hours, match=(("job", "!config"),),
                           unit="h"),
                     Check(metric="backup_readable", low=0.5), Check(metric="backup_verified", low=0.5),
                     Check(metric="backup_modified", high=0.5), Check(metric="restore_test_failed", high=0.5),
                     Check(metric="restore_test_age_days", high=7.0, unit="d"),
                     Check(metric="backup_offsite_age_days", high=7.0, unit="d")),
             present=("backup_last_success_timestamp",),
             rule_words=("backup", "restore"), configured=bool(backup_jobs),
             expect=tuple(("job", name) for name in backup_jobs)),
        POSTURE,
        logs_item(syslog),
    )


def _fault_lights(kinds: str) -> tuple[Check, ...]:
    """Fans and power supplies the device reports, on the row of its kind (pack thresholds)."""
    return tuple(Check(metric=m, low=0.5, match=(("kind", kinds),)) for m in ("fan_ok", "power_supply_ok"))


def _bad(metric: str) -> Check:
    return Check(metric=metric, high=0.5)


POSTURE = Item(
    key="posture", number=9, zh="服务器安全", en="Server security",
    clause=("《公司信息化管理制度》第六章 信息安全管理 第二十六条；"
            "《保险代理公司信息化管理制度》第五、六、八章；《学校网络中心管理制度》第四、五条；"
            "《公司信息化工作报告》五、信息安全；《信息系统运行及维护制度》第3条；"
            "《信息系统操作员授权与离岗制度》第2条"),
    checks=(Check(metric="av_installed", low=0.5), Check(metric="av_running", low=0.5),
            Check(metric="av_signature_age_days", high=3.0, unit="d"),
            Check(metric="av_realtime_enabled", low=0.5),
            Check(metric="patch_age_days", high=31.0, unit="d"),
            _bad("usb_storage_allowed"), _bad("removable_media_mounted"),
            Check(metric="password_min_length", low=8.0), Check(metric="password_classes_required", low=3.0),
            Check(metric="password_max_age_days", high=180.0, unit="d"),
            _bad("egress_public_connections"), _bad("egress_mail_connections"),
            _bad("log_truncated"), _bad("log_removed"), _bad("journal_cleared"),
            _bad("journal_gaps"), _bad("log_cleared"),
            _bad("software_added"), _bad("software_removed"),
            _bad("privileged_unapproved_accounts"), _bad("accounts_unused"),
            Check(metric="posture_check_unavailable", high=0.5, unavailable=True)),
    present=("patch_security_pending", "software_installed_packages", "optical_drive_enabled"),
    rule_words=("av_", "patch", "security_updates", "usb_", "removable", "optical", "password", "egress_",
                "log_", "journal", "software", "privileged", "account_", "posture"))
"""Row 9, 服务器安全: the posture checks (thresholds as in the posture rule pack)."""


# --- Row 10, 运行日志 (syslog, issue 19) --------------------------------------------------------
def logs_item(configured: bool) -> Item:
    """Row 10, 运行日志: 「每日必须登录服务器分析运行日志」. Data is ``syslog_messages`` (only
    devices that sent something that day), so a day without messages is 无数据, never 正常;
    abnormal are brute-force bursts and cleared logs. Counts by severity, what needs attention
    and the day's chain digest come from the evidence store (``details``)."""
    return Item(key="logs", number=10, zh="运行日志", en="Run logs",
                clause="《公司信息化工作报告》第四部分 信息化运维；《学校网络中心管理制度》第四、六条",
                checks=(Check(metric="login_failures_recent", high=4.0), _bad("device_log_cleared")),
                present=("syslog_messages", "config_saved"),
                rule_words=("login_brute", "logs_cleared"), configured=configured)


KIND_ROUTED = ("device_", "cpu_", "memory_")
"""Rules about any device (down, its own temperature, load) go to the row of the device's kind."""
_KIND_ROW = {"server": "server", "switch": "network", "router": "network", "firewall": "network",
             "ups": "power", "sensor": "environment"}


def item_for_alert(rule: str, labels: Labels, table: tuple[Item, ...]) -> Item | None:
    """The checklist row an alert belongs to: by the device kind for rules about any device,
    else by the words in its rule name; None for alerts no row covers."""
    name = rule.lower()
    row = _KIND_ROW.get(labels.get("kind", ""))
    if row and (name == "up" or name.startswith(KIND_ROUTED)):
        return _by_key(table, row)
    for item in table:
        if item.claims and all(labels.get(key) == want for key, want in item.claims):
            return item
    for item in table:
        if any(word in name for word in item.rule_words):
            return item
    return None


def _matches(value: str | None, want: str) -> bool:
    if want.startswith("!"):
        return value not in want[1:].split("|")
    return value in want.split("|")


def _by_key(table: tuple[Item, ...], key: str) -> Item:
    return next(item for item in table if item.key == key)
