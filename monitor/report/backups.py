"""Per-job lines of the 数据备份 item: the daily record's list of jobs (last success, age,
verified, last restore test, off-site copy) and the weekly report's 7-day grid per job."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from monitor.report.judge import Loaded, device_of
from monitor.store.base import Rollup

JOB_METRICS = ("backup_age_hours", "backup_last_success_timestamp", "backup_verified",
               "restore_test_age_days", "backup_offsite_age_days", "backup_readable")
"""What a job line shows; ``backup_age_hours`` of the configuration fetch (job=config) is not a job."""


def _per_job(data: Loaded, start: float, end: float) -> dict[str, dict[str, list[Rollup]]]:
    jobs: dict[str, dict[str, list[Rollup]]] = defaultdict(lambda: defaultdict(list))
    for metric in JOB_METRICS:
        for row in data.rollups.get(metric, ()):
            if start <= row.hour < end and row.labels.get("job") and row.labels.get("job") != "config":
                jobs[device_of(dict(row.labels))][metric].append(row)
    return jobs


def job_lines(data: Loaded, start: float, end: float, expected: Iterable[str] = ()) -> list[dict[str, Any]]:
    """One line per job seen in ``[start, end)`` or expected (configured): the state at the end
    of the span; None where nothing was measured (shown as 无数据, never as fine)."""
    jobs = _per_job(data, start, end)
    out = []
    for job in sorted(set(jobs) | set(expected)):
        rows = jobs.get(job, {})
        success = max((r.max for r in rows.get("backup_last_success_timestamp", [])), default=None)
        out.append({"job": job, "last_success": success, "age_hours": _last(rows, "backup_age_hours", "max"),
                    "verified": _last(rows, "backup_verified", "min"),
                    "restore_age_days": _last(rows, "restore_test_age_days", "max"),
                    "offsite_age_days": _last(rows, "backup_offsite_age_days", "max"),
                    "readable": _last(rows, "backup_readable", "min"), "seen": bool(rows)})
    return out


def week_grid(data: Loaded, days: Sequence[tuple[str, float, float]], limits: dict[str, float],
              default_limit: float, expected: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Per job and day: √ the newest backup stayed within the job's max age all day, × it did
    not (a missed backup) or the job could not be read, — no data. ``days`` are (label, start, end)."""
    out = []
    spans = [(start, end) for _label, start, end in days]
    whole = _per_job(data, spans[0][0], spans[-1][1]) if spans else {}
    for job in sorted(set(whole) | set(expected)):
        rows = whole.get(job, {})
        limit = limits.get(job, default_limit)
        marks = []
        for start, end in spans:
            ages = [r for r in rows.get("backup_age_hours", []) if start <= r.hour < end]
            unreadable = any(r.min < 0.5 for r in rows.get("backup_readable", []) if start <= r.hour < end)
            if not ages and not unreadable:
                marks.append("—")
            else:
                marks.append("×" if unreadable or max(r.max for r in ages) > limit else "√")
        ages = sorted(rows.get("backup_age_hours", []), key=lambda r: r.hour)
        out.append({"job": job, "days": marks, "last": ages[-1].min if ages else None,
                    "worst": max((r.max for r in ages), default=None), "limit": limit,
                    "ok": bool(ages) and "×" not in marks})
    return out


def _last(rows: dict[str, list[Rollup]], metric: str, worst: str) -> float | None:
    """The last hour's worst value of one metric (``min`` or ``max``), None without data."""
    mine = sorted(rows.get(metric, []), key=lambda r: r.hour)
    return float(getattr(mine[-1], worst)) if mine else None
