"""What a checklist row was on one day: its status, the abnormalities behind an 异常 and the
series it lists, in the JSON form the inspection book stores."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(enum.Enum):
    """What one checklist item was on one day: 正常, 异常, 无法检查 (a check reported it could
    not run), 无数据 (never normal by default), or 未配置 when nothing that could give evidence
    is configured."""

    NORMAL = "normal"
    ABNORMAL = "abnormal"
    UNAVAILABLE = "unavailable"
    NO_DATA = "no_data"
    NOT_CONFIGURED = "not_configured"


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
    details: tuple[dict[str, Any], ...] = ()
    observed: tuple[Observed, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        doc = {"key": self.key, "status": self.status.value, "series": self.series,
               "findings": [f.to_dict() for f in self.findings]}
        if self.observed:  # records written before rows listed anything stay byte-identical
            doc["observed"] = [o.to_dict() for o in self.observed]
        if self.details:
            doc["details"] = list(self.details)
        return doc

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ItemResult:
        """The inverse of ``to_dict``. The judge writes 正常 only after reading series: a stored
        正常 that names none read has no evidence behind it, and every reader gets 无数据."""
        status, series = Status(doc["status"]), doc.get("series", 0)
        if status is Status.NORMAL and series <= 0:
            status = Status.NO_DATA
        return cls(key=doc["key"], status=status, series=series,
                   findings=tuple(Finding.from_dict(f) for f in doc.get("findings", ())),
                   observed=tuple(Observed(**o) for o in doc.get("observed", ())),
                   details=tuple(doc.get("details", ())))
