"""The checklist of 003 中心机房巡检管理制度 plus the checks other seeds require, as data."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

from monitor.core.model import Labels


class Status(enum.Enum):
    """What one checklist item was on one day: 正常, 异常, or 无数据 (never normal by default)."""

    NORMAL = "normal"
    ABNORMAL = "abnormal"
    NO_DATA = "no_data"


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One series test: ``metric`` readings whose labels include ``match`` (a label may list
    alternatives separated by ``|``) are normal while ``low <= value <= high``."""

    metric: str
    low: float = -math.inf
    high: float = math.inf
    match: tuple[tuple[str, str], ...] = ()
    exempt: tuple[tuple[str, str], ...] = ()
    unit: str = ""

    def selects(self, labels: Labels) -> bool:
        """Whether a series with these labels is judged by this check."""
        return all(labels.get(key) in want.split("|") for key, want in self.match)

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
    words in a rule name route that rule's alerts here."""

    key: str
    number: int
    zh: str
    en: str
    clause: str
    checks: tuple[Check, ...] = ()
    present: tuple[str, ...] = ()
    rule_words: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every metric whose existence means this item has data."""
        return tuple(dict.fromkeys([c.metric for c in self.checks] + list(self.present)))

    # ``shown``: metrics the row lists per device even when all is normal, so the record says
    # which air conditioners were checked and how they ran, not only a tick.


_NETWORK_KINDS = "switch|router|firewall"


def items(backup_max_age_hours: float = 26.0) -> tuple[Item, ...]:
    """The eight rows, 1–5 verbatim from 《中心机房巡检管理制度》一、检查项目要求, then IP–MAC,
    configuration and backups."""
    return (
        Item(key="power", number=1, zh="电源、UPS", en="Power, UPS",
             clause="《中心机房巡检管理制度》一、检查项目要求 第1条",
             checks=(Check(metric="ups_on_battery", high=0.5),
                     Check(metric="ups_battery_replace", high=0.5)),
             present=("ups_battery_capacity_percent", "ups_battery_runtime_minutes",
                      "ups_output_load_percent", "ups_input_voltage_volts"),
             rule_words=("ups", "power", "mains")),
        Item(key="server", number=2, zh="服务器", en="Servers",
             clause="《中心机房巡检管理制度》一、检查项目要求 第2条",
             checks=(Check(metric="up", low=0.5, match=(("kind", "server"),)),
                     Check(metric="raid_degraded", high=0.5)),
             present=("disk_used_percent",),
             rule_words=("server", "raid", "disk", "cpu", "memory", "host")),
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
                     Check(metric="if_oper_up", low=0.5, match=(("role", "uplink"),))),
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
        Item(key="config", number=7, zh="设备配置变更", en="Configuration changes",
             clause="《信息中心机房管理制度》一、安全保密制度 第4条",
             checks=(Check(metric="config_changed", high=0.5, exempt=(("in_window", "1"),)),),
             rule_words=("config",)),
        Item(key="backup", number=8, zh="数据备份", en="Data backup",
             clause="《信息中心机房管理制度》三、中心机房管理制度 第2条",
             checks=(Check(metric="backup_age_hours", high=backup_max_age_hours, unit="h"),),
             rule_words=("backup",)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One abnormality behind an 异常: which device, which reading, when, which alert, which clause."""

    item: str
    device: str
    metric: str
    value: float
    start: float
    end: float | None
    labels: dict[str, str] = field(default_factory=dict)
    unit: str = ""
    alert: str = ""
    severity: str = ""
    clause: str = ""

    @property
    def duration(self) -> float | None:
        """Seconds the abnormality lasted (None while it goes on)."""
        return None if self.end is None else self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in the inspection book, printed by ``--format json``)."""
        return {"item": self.item, "device": self.device, "metric": self.metric, "value": self.value,
                "start": self.start, "end": self.end, "labels": self.labels, "unit": self.unit,
                "alert": self.alert, "severity": self.severity, "clause": self.clause}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Finding:
        """The inverse of ``to_dict``."""
        return cls(**doc)


@dataclass(frozen=True, slots=True, kw_only=True)
class Observed:
    """One series a row lists: its device, unit (if any), and lowest and highest value that day."""

    device: str
    metric: str
    low: float
    high: float
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"device": self.device, "metric": self.metric, "low": self.low, "high": self.high,
                "unit": self.unit}


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemResult:
    """One checklist row on one day."""

    key: str
    status: Status
    findings: tuple[Finding, ...] = ()
    series: int = 0
    observed: tuple[Observed, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        doc = {"key": self.key, "status": self.status.value, "series": self.series,
               "findings": [f.to_dict() for f in self.findings]}
        if self.observed:  # records written before rows listed anything stay byte-identical
            doc["observed"] = [o.to_dict() for o in self.observed]
        return doc

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ItemResult:
        """The inverse of ``to_dict``."""
        return cls(key=doc["key"], status=Status(doc["status"]), series=doc.get("series", 0),
                   findings=tuple(Finding.from_dict(f) for f in doc.get("findings", ())),
                   observed=tuple(Observed(**o) for o in doc.get("observed", ())))


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
        if any(word in name for word in item.rule_words):
            return item
    return None


def _by_key(table: tuple[Item, ...], key: str) -> Item:
    return next(item for item in table if item.key == key)
