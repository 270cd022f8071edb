"""The message stage: Jinja2 templates per channel form (im, sms, mail) and language (zh, en).

A template's first line is the title, the rest the body. Sites override any template by
putting a file of the same name (``im.zh.j2``…) in ``[notify] templates_dir``. SMS text is
cut to one 70-character segment when it would not fit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from monitor.core.errors import ConfigError
from monitor.core.model import Alert, AlertState
from monitor.core.textfiles import read_text

SMS_SEGMENT = 70
_HIDDEN = ("device", "site", "room", "rack", "kind", "level")


class Renderer:
    """Renders messages from the shipped templates, or the site's where it has its own."""

    def __init__(self, templates_dir: str | Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if templates_dir:
            loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
        loaders.append(jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")))
        self.env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=False,
                                      trim_blocks=True,
                                      lstrip_blocks=True, keep_trailing_newline=False)

    def render(self, *, form: str, lang: str, firing: Sequence[Alert], resolved: Sequence[Alert] = (),
               kind: str = "alert", extra: Mapping[str, Any] | None = None) -> tuple[str, str]:
        """Title and body of one message about ``firing`` and ``resolved`` alerts."""
        name = f"{'im' if form == 'mail' else form}.{lang}.j2"
        context = {"firing": [_view(a) for a in firing], "resolved": [_view(a) for a in resolved],
                   "kind": kind, **(extra or {})}
        text = self.env.get_template(name).render(context).strip()
        if form == "sms":
            text = " ".join(text.split())
            if len(text) > SMS_SEGMENT:
                text = text[: SMS_SEGMENT - 1] + "…"
            return "", text
        title, _, body = text.partition("\n")
        return title.strip(), body.strip()


def check_templates(templates_dir: str | Path | None) -> list[str]:
    """Every problem of a site's templates, as ``FILE:LINE: …``: not UTF-8, or not Jinja2."""
    if not templates_dir:
        return []
    folder = Path(templates_dir)
    if not folder.is_dir():
        return [f"{folder}: templates_dir is not a directory"]
    env = jinja2.Environment(autoescape=False)
    problems: list[str] = []
    for path in sorted(folder.glob("*.j2")):
        try:
            env.parse(read_text(path))
        except ConfigError as err:
            problems += err.problems
        except jinja2.TemplateSyntaxError as err:
            problems.append(f"{path}:{err.lineno}: {err.message}")
    return problems


def state_of(firing: Sequence[Alert]) -> AlertState:
    """Firing if any alert in the message fires, else resolved (picks the channel's colour)."""
    return AlertState.FIRING if firing else AlertState.RESOLVED


def _view(alert: Alert) -> dict[str, Any]:
    labels = alert.labels
    place = " / ".join(labels[k] for k in ("site", "room", "rack") if labels.get(k))
    extra = {k: v for k, v in sorted(labels.items()) if k not in _HIDDEN}
    return {
        "id": alert.fingerprint,
        "rule": alert.rule,
        "device": labels.get("device", "?"),
        "place": place,
        "what": alert.summary or alert.rule,
        "value": f"{alert.value:g}",
        "threshold": alert.annotations.get("threshold", ""),
        "severity": alert.severity.value,
        "since": _clock(alert.fired_at or alert.active_at),
        "since_short": _clock(alert.fired_at or alert.active_at, "%H:%M"),
        "resolved_at": _clock(alert.resolved_at) if alert.resolved_at else "",
        "resolved_short": _clock(alert.resolved_at, "%H:%M") if alert.resolved_at else "",
        "clause": alert.clause,
        "labels": ", ".join(f"{k}={v}" for k, v in extra.items()),
    }


def _clock(ts: float, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return time.strftime(fmt, time.localtime(ts))
