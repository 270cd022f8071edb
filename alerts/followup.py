"""Per-alert follow-ups after the group messages: escalation levels and repair-time notices.

Both decide with pure functions (:mod:`alerts.escalate`, :mod:`alerts.repair`) and queue each
message in one transaction with the log entry that records it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from alerts.ack import Ack, is_acked
from alerts.config import NotifySettings, Receiver
from alerts.escalate import Policy, compile_policies, due_steps, resolved_steps
from alerts.notifiers.apprise import AppriseNotifier
from alerts.oncall import on_duty
from alerts.outbox import Outbox
from alerts.render import Renderer, state_of
from alerts.repair import notice_due
from alerts.state import State
from monitor.core.durations import format_duration
from monitor.core.model import Alert, AlertState

__all__ = ["Context", "compile_policies", "escalate", "escalated_firing", "repair_notices"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Context:
    """What the follow-ups use of the pipeline, handed in by the dispatcher on each flush."""

    state: State
    outbox: Outbox
    settings: NotifySettings
    policies: Sequence[Policy]
    renderer: Renderer
    notifier: AppriseNotifier
    receiver: Callable[[str], Receiver]
    lang: str


def _escalation_log(d: Context) -> dict[str, dict[str, tuple[str, str]]]:
    """fingerprint → {``esc:P:L`` → (state, receiver)} from the per-alert log."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for (fp, target), state in d.outbox.told().items():
        if target.startswith("esc:"):
            _, p, lv, receiver = target.split(":", 3)
            out.setdefault(fp, {})[f"esc:{p}:{lv}"] = (state.value, receiver)
    return out


def escalated_firing(d: Context) -> set[str]:
    """Alerts some escalation level was told firing about (their resolve is still owed)."""
    return {fp for fp, levels in _escalation_log(d).items()
            if any(state == AlertState.FIRING.value for state, _ in levels.values())}


def escalate(d: Context, muted: Mapping[str, str], acks: Mapping[str, Ack], now: float) -> int:
    """Queue every escalation level that is due, and the resolves owed to earlier levels."""
    if not d.policies and not d.settings.escalations:
        return 0
    told = _escalation_log(d)
    queued = 0
    for alert in list(d.state.alerts.values()):
        mine = told.get(alert.fingerprint, {})
        steps = due_steps(alert, d.policies, {k: s for k, (s, _) in mine.items()}, now=now,
                          muted=alert.fingerprint in muted, acked=is_acked(alert, dict(acks)))
        for step in steps:
            receiver, person = step.receiver, None
            if receiver == "oncall":
                person = on_duty(d.settings.oncall, now)
                if person is None:
                    continue
                receiver = f"oncall:{person.name}"
            queued += _queue(d, alert, f"{step.key}:{receiver}", receiver, now,
                             {"level": step.level, "person": person})
        for key, receiver in resolved_steps(alert, mine):
            level = int(key.rsplit(":", 1)[1]) + 1
            queued += _queue(d, alert, f"{key}:{receiver}", receiver, now, {"level": level})
    return queued


def _queue(d: Context, alert: Alert, log_key: str, receiver: str, now: float,
           extra: dict[str, object]) -> int:
    rec = d.receiver(receiver)
    firing = [alert] if alert.state is AlertState.FIRING else []
    resolved = [] if firing else [alert]
    title, body = d.renderer.render(form=rec.format, lang=rec.lang or d.lang, firing=firing,
                                    resolved=resolved, kind="escalation", extra=extra)
    targets = d.notifier.targets_of(receiver)
    with d.outbox.db.transaction() as tx:
        for target in targets:
            Outbox.put(tx, target=target, fingerprint=alert.fingerprint, state=state_of(firing),
                       title=title, body=body, now=now)
        Outbox.tell(tx, fingerprint=alert.fingerprint, target=log_key, state=alert.state,
                    labels=alert.labels, now=now)
    log.info("escalation alert=%s level=%s receiver=%s state=%s", alert.fingerprint,
             extra.get("level"), receiver, alert.state.value)
    return len(targets)


def repair_notices(d: Context, muted: Mapping[str, str], now: float) -> int:
    """002's 2 h / 4 h limits: tell the alert's receivers when a critical alert passes one."""
    limits = d.settings.repair_notices
    if not limits:
        return 0
    done = d.state.notices()
    queued = 0
    for alert in list(d.state.alerts.values()):
        fp = alert.fingerprint
        limit, kinds = notice_due(alert, limits, done.get(fp, set()), now=now, muted=fp in muted)
        if not kinds:
            continue
        receivers = sorted({g.receiver for g in d.state.groups.values() if fp in g.members})
        messages = []
        for name in receivers:
            rec = d.receiver(name)
            lang = rec.lang or d.lang
            hours = (limit or 0.0) / 3600
            text = f"{hours:g}小时" if lang == "zh" else format_duration(limit or 0.0)
            title, body = d.renderer.render(form=rec.format, lang=lang, firing=[alert],
                                            kind="repair", extra={"limit": text})
            messages += [(t, title, body) for t in d.notifier.targets_of(name)]
        with d.outbox.db.transaction() as tx:
            for target, title, body in messages:
                Outbox.put(tx, target=target, fingerprint=fp, state=AlertState.FIRING, title=title,
                           body=body, now=now)
            d.state.put_notices(tx, fp, kinds, now)
        log.warning("repair-time notice alert=%s after=%s receivers=%s", fp,
                    format_duration(limit or 0), ",".join(receivers))
        queued += len(messages)
    return queued
