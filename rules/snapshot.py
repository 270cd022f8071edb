"""The engine's live alerts on disk: rows as plain JSON data, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.core.model import Alert, AlertState, Severity

VERSION = 1

_RESOLVED = AlertState.RESOLVED


def write(path: str | os.PathLike[str], data: Mapping[str, Any]) -> None:
    """Write ``data`` as JSON atomically: temporary file, fsync, rename, fsync the directory."""
    target = Path(path)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)  # the rename itself must survive a power cut
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read(path: str | os.PathLike[str]) -> Any:
    """The JSON a ``write`` left (FileNotFoundError, OSError or ValueError if it cannot)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def row(metric: str, value: float, ts: float, a: Alert) -> dict[str, Any]:
    return {"rule": a.rule, "metric": metric, "labels": dict(a.labels), "state": a.state.value,
            "severity": a.severity.value, "value": a.value, "active_at": a.active_at,
            "fired_at": a.fired_at, "summary": a.summary, "summary_en": a.summary_en, "clause": a.clause,
            "series_value": value, "series_ts": ts}


def parse_row(row: Mapping[str, Any]) -> tuple[str, float, float, Alert]:
    labels = {str(k): str(v) for k, v in dict(row["labels"]).items()}
    state = AlertState(row["state"])
    if state is _RESOLVED:
        raise ValueError("a resolved alert in engine state")
    fired_at = row.get("fired_at")
    alert = Alert(rule=str(row["rule"]), labels=labels, state=state,
                  severity=Severity(row["severity"]), value=float(row["value"]),
                  active_at=float(row["active_at"]),
                  fired_at=None if fired_at is None else float(fired_at),
                  summary=str(row.get("summary", "")), clause=str(row.get("clause", "")),
                  summary_en=str(row.get("summary_en", "")))
    return str(row["metric"]), float(row["series_value"]), float(row["series_ts"]), alert
