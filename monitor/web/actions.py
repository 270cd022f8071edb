"""What an operator does through the console or API, with the same stores as the CLI, each audited."""

from __future__ import annotations

from starlette.exceptions import HTTPException

from alerts.ack import Acks
from alerts.silence import Silences
from monitor.core.durations import format_duration, parse_duration
from monitor.web import data
from monitor.web.accounts import User
from monitor.web.sources import Sources

MAX_TEXT = 500
"""Longest comment kept (a form is not a file upload)."""


def ack(src: Sources, user: User, alert_id: str, comment: str) -> str:
    """Acknowledge the firing alert ``alert_id`` as ``user`` (``roomwatch ack`` does the same)."""
    chosen = [a for a in data.firing(src) if a.fingerprint == alert_id]
    if not chosen:
        raise HTTPException(404, f"no firing alert {alert_id[:16]!r}")
    now = src.clock()
    comment = comment.strip()[:MAX_TEXT]
    Acks(src.alerts_db).add(chosen[0], by=user.name, comment=comment, now=now)
    src.audit(who=user.name, action="alert.ack", target=alert_id,
              detail=f"{chosen[0].rule} {chosen[0].labels.get('device', '')}: {comment}")
    return alert_id


def silence(src: Sources, user: User, matchers: list[str], duration: str, comment: str) -> int:
    """Create a silence as ``user`` (``roomwatch silence add``)."""
    comment = comment.strip()[:MAX_TEXT]
    if not comment:
        raise HTTPException(400, "a silence needs a comment (why; shown to colleagues)")
    try:
        seconds = parse_duration(duration or "1h")
        now = src.clock()
        sid = Silences(src.alerts_db).add(matchers, starts=now, ends=now + seconds, comment=comment,
                                          created_by=user.name, now=now)
    except ValueError as err:
        raise HTTPException(400, f"silence: {err}") from None
    src.audit(who=user.name, action="silence.add", target=str(sid),
              detail=f"{' '.join(matchers)} for {format_duration(seconds)}: {comment}")
    return sid


def expire(src: Sources, user: User, sid: int) -> None:
    """End a running silence as ``user`` (``roomwatch silence expire``)."""
    now = src.clock()
    if not Silences(src.alerts_db).expire(sid, now):
        raise HTTPException(404, f"no running silence {sid}")
    src.audit(who=user.name, action="silence.expire", target=str(sid), detail="")
