"""Flap damping, Icinga's way: a (rule, series) whose state changed too often in its last 20
results is told once as flapping, then kept firing quietly until it settles.

Icinga 2 keeps the last 20 check results of a service and the share of them that changed its
state; flapping starts above 30 % and stops below 25 %. Here a result is each new reading the
engine judges, and the state is whether the rule sees it breached (hysteresis included: a firing
alert is "bad" until recovered). Without this an uplink that drops for 30 s every 2 min never
pages (``for = "1m"`` restarts on every up sample), and a ``for``-less rule pages on every drop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from monitor.core.model import NO_ANNOTATIONS, Alert, AlertState, Labels
from rules.rule import Effective, Rule, step

WINDOW = 20
START_ABOVE = 30.0  # percent of the window's results that changed state
STOP_BELOW = 25.0
_MASK = (1 << WINDOW) - 1
_FIRING, _RESOLVED = AlertState.FIRING, AlertState.RESOLVED
MARK = "flapping"
"""Annotation set to ``"1"`` on an alert told as flapping (templates and the report read it)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Flap:
    """The change history of one (rule, series): bit i set = the i-th newest result changed state."""

    bits: int = 0
    bad: bool = False  # the newest result was breached
    flapping: bool = False

    @property
    def percent(self) -> float:
        """Share of the last ``WINDOW`` results that changed state (Icinga's unweighted form)."""
        return 100.0 * self.bits.bit_count() / WINDOW

    def record(self, bad: bool) -> Flap:
        """The history after one more result; flapping starts above 30 %, stops below 25 %."""
        bits = ((self.bits << 1) | (bad != self.bad)) & _MASK
        pct = 100.0 * bits.bit_count() / WINDOW
        flapping = pct > START_ABOVE if not self.flapping else pct >= STOP_BELOW
        return Flap(bits=bits, bad=bad, flapping=flapping)


def advance(prev: Alert | None, flap: Flap | None, value: float | None, now: float, *, fresh: bool,
            rule: Rule, labels: Labels, eff: Effective, ignore_for: bool = False,
            annotations: Labels = NO_ANNOTATIONS) -> tuple[Alert | None, Flap | None]:
    """``step`` with flap damping: the alert and the history after one evaluation (pure).

    ``fresh`` says a new reading arrived since the last evaluation (only those are results).
    A history with no change in its window and not flapping is dropped (None): a quiet series
    costs nothing. Becoming flapping while not firing fires at once, marked; while flapping, a
    firing alert does not resolve on a good value (only when the series goes absent); once it
    settles, ``step`` decides again, so the resolve is told.
    """
    if prev is not None and prev.state is _RESOLVED:
        prev = None
    new = step(prev, value, now, rule=rule, labels=labels, eff=eff, ignore_for=ignore_for,
               annotations=annotations)
    if not fresh or value is None or value != value:
        if flap is not None and flap.flapping and new is not None and new.state is _RESOLVED \
                and value is not None and value == value:
            return prev, flap  # held firing between results, too
        return new, flap
    cond = eff.condition
    was_bad = flap.bad if flap is not None else prev is not None
    bad = cond.breached(value) if prev is None or prev.state is not _FIRING else not cond.recovered(value)
    if flap is None and bad == was_bad:
        return new, None
    after = (flap or Flap(bad=was_bad)).record(bad)
    if after.flapping and not (flap is not None and flap.flapping):
        return _flapping(prev, new, value, now, rule=rule, labels=labels, eff=eff,
                         annotations=annotations), after
    if after.flapping and prev is not None and new is not None and new.state is _RESOLVED:
        return prev, after  # kept quiet until it settles
    if not after.flapping and not after.bits:
        return new, None
    return new, after


def _flapping(prev: Alert | None, new: Alert | None, value: float, now: float, *, rule: Rule,
              labels: Labels, eff: Effective, annotations: Labels) -> Alert:
    """The alert as it starts flapping: firing (told once) and marked, whatever this value is."""
    if prev is not None and prev.state is _FIRING:
        return replace(new if new is not None and new.state is _FIRING else prev,
                       annotations={**prev.annotations, MARK: "1"})
    active_at = prev.active_at if prev is not None else now
    summary = "状态频繁变化（抖动）：" + rule.render(labels, value, eff.condition)
    summary_en = ("Flapping: " + rule.render(labels, value, eff.condition, "en")) if rule.summary_en else ""
    return Alert(rule=rule.name, labels=labels, state=_FIRING, severity=eff.severity, value=value,
                 active_at=active_at, fired_at=now, summary=summary, clause=rule.clause,
                 annotations={**annotations, MARK: "1"}, summary_en=summary_en)
