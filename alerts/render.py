"""The message stage: Jinja2 templates per channel form (im, sms, mail) and language (zh, en).

A template's first line is the title, the rest the body. Sites override any template by
putting a file of the same name (``im.zh.j2``…) in ``[notify] templates_dir``. SMS text is
cut to one 70-character segment when it would not fit.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2

from monitor.core.clauses import gloss
from monitor.core.errors import ConfigError
from monitor.core.model import Alert, AlertState, Severity
from monitor.core.numbers import plain
from monitor.core.textfiles import read_text

log = logging.getLogger(__name__)

SMS_SEGMENT = 70
BUILTIN = Path(__file__).parent / "templates"
_HIDDEN = ("device", "site", "room", "rack", "kind", "level")


class Renderer:
    """Renders messages from the shipped templates, or the site's where it has its own.

    A site template that fails (a syntax error, a name it does not have) never stops a message:
    the shipped template of the same name renders it instead, and the failure is logged once
    per template with its file and line.
    """

    def __init__(self, templates_dir: str | Path | None = None) -> None:
        self.site = _environment(Path(templates_dir)) if templates_dir else None
        self.builtin = _environment(BUILTIN)
        self._failed: set[str] = set()

    def render(self, *, form: str, lang: str, firing: Sequence[Alert], resolved: Sequence[Alert] = (),
               kind: str = "alert", extra: Mapping[str, Any] | None = None) -> tuple[str, str]:
        """Title and body of one message about ``firing`` and ``resolved`` alerts."""
        name = f"{'im' if form == 'mail' else form}.{lang}.j2"
        context = {"firing": [_view(a, lang) for a in firing], "resolved": [_view(a, lang) for a in resolved],
                   "kind": kind, **(extra or {})}
        text = self._site_text(name, context)
        if text is None:
            text = self.builtin.get_template(name).render(context)
        text = text.strip()
        if form == "sms":
            text = " ".join(text.split())
            if len(text) > SMS_SEGMENT:
                text = text[: SMS_SEGMENT - 1] + "…"
            return "", text
        title, _, body = text.partition("\n")
        return title.strip(), body.strip()

    def _site_text(self, name: str, context: Mapping[str, Any]) -> str | None:
        if self.site is None:
            return None
        try:
            text = self.site.get_template(name).render(context)
        except jinja2.TemplateNotFound:
            return None
        except Exception as err:  # whatever a site's template does, the message still goes out
            if name not in self._failed:
                self._failed.add(name)
                log.error("template %s failed (%s); the built-in %s is used instead until it "
                          "is fixed", where(err, self.site, name), _reason(err), name)
            return None
        self._failed.discard(name)
        return text


def check_templates(templates_dir: str | Path | None) -> list[str]:
    """Every site template rendered against a sample firing and a sample resolved alert; one
    problem (``file:line: error``) per template that fails."""
    if not templates_dir:
        return []
    if not Path(templates_dir).is_dir():
        return [f"notify.templates_dir: {templates_dir} is not a directory"]
    env = _environment(Path(templates_dir))
    firing = Alert(rule="room_temperature", labels={"device": "th-a101", "room": "A101", "sensor": "t1"},
                   state=AlertState.FIRING, severity=Severity.WARNING, value=29.4,
                   active_at=1_700_000_000.0, fired_at=1_700_000_300.0, summary="机房温度 29.4 °C",
                   clause="《信息中心机房管理制度》四、环境管理制度 第5条",
                   annotations={"threshold": "28"})
    resolved = replace(firing, state=AlertState.RESOLVED, resolved_at=1_700_003_600.0)
    context = {"firing": [_view(firing)], "resolved": [_view(resolved)], "kind": "alert"}
    problems = []
    for path in sorted(Path(templates_dir).glob("*.j2")):
        try:
            read_text(path)  # a GBK file is named with its line, not as a codec's traceback
            env.get_template(path.name).render(context)
        except ConfigError as err:
            problems += err.problems
        except Exception as err:
            problems.append(f"{where(err, env, path.name)}: {_reason(err)}")
    return problems


def where(err: BaseException, env: jinja2.Environment, name: str) -> str:
    """``file:line`` of a template error: the syntax error's own, else the deepest traceback
    frame inside the template (Jinja2 maps template frames to template lines)."""
    if isinstance(err, jinja2.TemplateSyntaxError):
        return f"{err.filename or name}:{err.lineno}"
    filename = name
    with contextlib.suppress(Exception):
        filename = env.get_template(name).filename or name
    line = None
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"{filename}:{line}" if line is not None else filename


def _reason(err: BaseException) -> str:
    message = err.message if isinstance(err, jinja2.TemplateError) else str(err)
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def _environment(directory: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(directory)), autoescape=False,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


def state_of(firing: Sequence[Alert]) -> AlertState:
    """Firing if any alert in the message fires, else resolved (picks the channel's colour)."""
    return AlertState.FIRING if firing else AlertState.RESOLVED


def _view(alert: Alert, lang: str = "zh") -> dict[str, Any]:
    """What a template sees; in English the rule's English summary (when the alert carries one)
    and each cited document's English name beside its Chinese title."""
    labels = alert.labels
    place = " / ".join(labels[k] for k in ("site", "room", "rack") if labels.get(k))
    extra = {k: v for k, v in sorted(labels.items()) if k not in _HIDDEN}
    return {
        "id": alert.fingerprint,
        "rule": alert.rule,
        "device": labels.get("device", "?"),
        "place": place,
        "what": _what(alert, labels.get("device", ""), lang),
        "value": plain(alert.value),
        "threshold": alert.annotations.get("threshold", ""),
        "severity": alert.severity.value,
        "since": _clock(alert.fired_at or alert.active_at),
        "since_short": _clock(alert.fired_at or alert.active_at, "%H:%M"),
        "resolved_at": _clock(alert.resolved_at) if alert.resolved_at else "",
        "resolved_short": _clock(alert.resolved_at, "%H:%M") if alert.resolved_at else "",
        "clause": gloss(alert.clause) if lang == "en" else alert.clause,
        "labels": ", ".join(f"{k}={v}" for k, v in extra.items()),
        "notes": "\n".join(f"{k}: {v}" if "\n" not in v else f"{k}:\n{v}"
                           for k, v in sorted(alert.annotations.items()) if k != "threshold"),
    }


def _what(alert: Alert, device: str, lang: str) -> str:
    """The summary without its leading device name: titles and SMS put the device first already."""
    what = (alert.summary_en if lang == "en" and alert.summary_en else alert.summary) or alert.rule
    if device and what.startswith(device + " "):
        return what[len(device) + 1:].lstrip() or what
    return what


def _clock(ts: float, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return time.strftime(fmt, time.localtime(ts))


def fields(alert: Alert, lang: str = "zh") -> dict[str, Any]:
    """The values templates see for one alert (SMS template parameters are mapped from them)."""
    return _view(alert, lang)
