"""One inspection pass now: collect every device once, judge every rule with ``for`` ignored."""

from __future__ import annotations

import asyncio
import json
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from collectors.base import Listener
from monitor.core.model import Alert, AlertState, Reading
from monitor.core.numbers import plain
from monitor.finite import FiniteGate
from monitor.scheduler import Job, collect_once
from rules.engine import Engine


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one pass saw and which rules it found broken."""

    readings: list[Reading]
    violations: list[Alert]
    english: dict[str, str] = field(default_factory=dict)  # fingerprint → English summary


async def run_check(jobs: Sequence[Job], engine: Engine, now: float | None = None, *,
                    listeners: Sequence[Listener] = (), listen: float = 0.0) -> CheckResult:
    """Collect all devices concurrently (each bounded by its own timeout) and evaluate.

    With ``listeners`` (the ARP sniffer), they run for ``listen`` seconds alongside the
    collection and what they report is judged with the rest (an on-the-spot segment audit).
    """
    heard: list[Reading] = []
    stop = asyncio.Event()
    tasks = [asyncio.create_task(lst.run(heard.extend, stop)) for lst in listeners] if listen > 0 else []
    start = time.time() if now is None else now
    batches = await asyncio.gather(*(collect_once(job, start) for job in jobs))
    for job in jobs:
        await job.collector.close()
    if tasks:
        await asyncio.sleep(max(0.0, start + listen - time.time()))
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    now = start if now is not None else max(start, time.time())
    readings = FiniteGate()([r for batch in batches for r in batch] + heard)
    engine.ingest(readings)
    engine.evaluate(now, ignore_for=True)
    violations = [a for a in engine.active() if a.state is AlertState.FIRING]
    violations.sort(key=lambda a: (-a.severity.rank, a.labels.get("device", ""), a.rule))
    english = {a.fingerprint: engine.summary(a, "en") for a in violations}
    return CheckResult(readings, violations, english)


def to_json(result: CheckResult) -> str:
    """The machine form the README documents: readings and violations."""
    doc: dict[str, Any] = {
        "readings": [
            {"metric": r.metric, "value": r.value, "labels": dict(r.labels), "ts": r.ts}
            for r in result.readings
        ],
        "violations": [
            {"rule": a.rule, "severity": a.severity.value, "labels": dict(a.labels),
             "value": a.value, "summary": a.summary, "clause": a.clause}
            for a in result.violations
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1)


_HEAD = {
    "zh": (("设备", "指标", "标签", "数值"), ("级别", "设备", "规则", "数值", "说明", "依据条款"),
           "读数", "违规", "未发现违规。", {"critical": "严重", "warning": "警告", "info": "提示"}),
    "en": (("device", "metric", "labels", "value"),
           ("severity", "device", "rule", "value", "summary", "clause"),
           "Readings", "Violations", "No violations.", {}),
}


def to_table(result: CheckResult, lang: str = "zh") -> str:
    """A human table: readings grouped by device, then the violations."""
    rhead, vhead, rtitle, vtitle, none, sev = _HEAD.get(lang, _HEAD["zh"])
    skip = ("device", "kind", "level", "site", "room")
    rows = [
        (r.labels.get("device", ""), r.metric,
         ",".join(f"{k}={v}" for k, v in r.labels.items() if k not in skip), plain(r.value))
        for r in sorted(result.readings, key=lambda r: (r.labels.get("device", ""), r.metric))
    ]
    out = [f"{rtitle} ({len(rows)})", _table(rhead, rows), ""]
    if result.violations:
        vrows = [
            (sev.get(a.severity.value, a.severity.value), a.labels.get("device", ""), a.rule,
             plain(a.value), result.english.get(a.fingerprint, a.summary) if lang == "en" else a.summary,
             a.clause)
            for a in result.violations
        ]
        out += [f"{vtitle} ({len(vrows)})", _table(vhead, vrows)]
    else:
        out.append(none)
    return "\n".join(out)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(_width(str(c)) for c in col) for col in zip(head, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=False)).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])
