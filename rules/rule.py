"""Rules as frozen values (condition with hysteresis, label matchers, overrides, zh-CN summary)
and ``step``, the pure function that advances one rule's alert on one series."""

from __future__ import annotations

import enum
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from monitor.core.matchers import Matcher, all_match, from_table
from monitor.core.model import NO_ANNOTATIONS, Alert, AlertState, Labels, Severity
from monitor.core.numbers import Shown


class Op(enum.Enum):
    """How the rule file wrote the condition; the arithmetic is the same normal range for all."""

    ABOVE = "above"
    BELOW = "below"
    OUTSIDE = "outside"


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """When a value is a breach, and when a breached series counts as recovered.

    The normal range ``[low, high]`` is **inclusive**, None an open end: ``above = X`` is
    ``high = X``, ``below = X`` is ``low = X``, ``outside = [lo, hi]`` sets both (18.0 and 28.0
    are normal, 17.9 and 28.1 breaches). Recovery needs the range narrowed by ``hysteresis`` on
    each bounded side (``above = 28, hysteresis = 0.5`` recovers at 27.5); a hysteresis over
    half an ``outside`` range is capped there, so recovery stays possible.
    """

    op: Op
    low: float | None = None
    high: float | None = None
    hysteresis: float = 0.0
    # Precomputed bounds: the engine compares these on every evaluation, so no None checks.
    lo: float = field(init=False, repr=False, compare=False)
    hi: float = field(init=False, repr=False, compare=False)
    ok_lo: float = field(init=False, repr=False, compare=False)
    ok_hi: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        wanted = {Op.ABOVE: (False, True), Op.BELOW: (True, False), Op.OUTSIDE: (True, True)}
        if wanted[self.op] != (self.low is not None, self.high is not None):
            raise ValueError(f"{self.op.value} condition with low={self.low} high={self.high}")
        lo = -math.inf if self.low is None else float(self.low)
        hi = math.inf if self.high is None else float(self.high)
        if lo > hi:
            raise ValueError(f"low {lo:g} is above high {hi:g}")
        h = max(0.0, self.hysteresis)
        ok_lo, ok_hi = lo + h, hi - h
        if ok_lo > ok_hi:
            ok_lo = ok_hi = (lo + hi) / 2
        for name, value in (("lo", lo), ("hi", hi), ("ok_lo", ok_lo), ("ok_hi", ok_hi)):
            object.__setattr__(self, name, value)

    @classmethod
    def above(cls, threshold: float, hysteresis: float = 0.0) -> Condition:
        """Breach when the value is greater than ``threshold``."""
        return cls(op=Op.ABOVE, high=threshold, hysteresis=hysteresis)

    @classmethod
    def below(cls, threshold: float, hysteresis: float = 0.0) -> Condition:
        """Breach when the value is less than ``threshold``."""
        return cls(op=Op.BELOW, low=threshold, hysteresis=hysteresis)

    @classmethod
    def outside(cls, low: float, high: float, hysteresis: float = 0.0) -> Condition:
        """Breach when the value is less than ``low`` or greater than ``high``."""
        return cls(op=Op.OUTSIDE, low=low, high=high, hysteresis=hysteresis)

    def breached(self, value: float) -> bool:
        """True when ``value`` is outside the normal range (NaN never breaches)."""
        return value < self.lo or value > self.hi

    def recovered(self, value: float) -> bool:
        """True when a breached series may resolve: inside the range narrowed by hysteresis."""
        return self.ok_lo <= value <= self.ok_hi

    def with_hysteresis(self, hysteresis: float) -> Condition:
        """The same bounds with another hysteresis."""
        return Condition(op=self.op, low=self.low, high=self.high, hysteresis=hysteresis)

    @property
    def threshold(self) -> str:
        """The bound(s) as people write them: ``28`` or ``18–28``."""
        if self.op is Op.OUTSIDE:
            return f"{number(self.lo)}–{number(self.hi)}"
        return number(self.hi if self.op is Op.ABOVE else self.lo)


def number(x: float) -> str:
    """``28`` for 28.0, ``27.5`` for 27.5: thresholds in summaries without a trailing ``.0``."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """The series a rule or an override is for: an equality table (``match``, the older
    prefixed values read too) and ``matchers``; all must hold (none: every series)."""

    match: Mapping[str, str] = field(default_factory=dict)
    matchers: tuple[Matcher, ...] = ()
    selectors: tuple[Matcher, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        selectors = (*(from_table(label, text) for label, text in self.match.items()), *self.matchers)
        object.__setattr__(self, "selectors", selectors)

    def matches(self, labels: Labels) -> bool:
        """True when every matcher accepts ``labels``."""
        return all_match(self.selectors, labels)


@dataclass(frozen=True, slots=True, kw_only=True)
class Override(Selection):
    """A site's change to one pack rule for the series its ``match`` selects (a device, a room).

    Each field left None keeps the rule's value. ``condition`` gives new bounds only; its
    hysteresis is not used — set ``hysteresis`` (alone, or with new bounds) to change that.
    """

    condition: Condition | None = None
    hysteresis: float | None = None
    for_s: float | None = None
    severity: Severity | None = None
    disabled: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Effective:
    """What a rule means for one series once the overrides are applied."""

    condition: Condition
    for_s: float
    severity: Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule(Selection):
    """One threshold on one metric, for the series its label matchers select.

    ``summary`` is a zh-CN ``str.format`` template over the series labels plus ``value``,
    ``threshold`` (``18–28``) and ``rule``; a label the series lacks renders as ``?``.
    ``clause`` cites the regulation (``file:line`` and section) the rule enforces.
    """

    name: str
    metric: str
    condition: Condition
    for_s: float = 0.0
    severity: Severity
    summary: str
    clause: str
    description: str = ""
    summary_en: str = ""  # the English summary (``--lang en``); same fields as ``summary``
    overrides: tuple[Override, ...] = ()

    def effective(self, labels: Labels) -> Effective | None:
        """Condition, ``for`` and severity for one series; None if the rule skips or is disabled.

        Overrides whose matchers accept the labels apply in order, field by field: each field
        takes the value of the *last* matching override that sets it. So an inventory override
        (a UPS's design runtime) and a later room-wide one (``for = "10m"``) both hold.
        """
        if not self.matches(labels):
            return None
        bounds, hysteresis = self.condition, self.condition.hysteresis
        for_s, severity, disabled = self.for_s, self.severity, False
        for o in self.overrides:
            if not o.matches(labels):
                continue
            bounds = o.condition or bounds
            hysteresis = hysteresis if o.hysteresis is None else o.hysteresis
            for_s = for_s if o.for_s is None else o.for_s
            severity = o.severity or severity
            disabled = disabled if o.disabled is None else o.disabled
        if disabled:
            return None
        condition = self.condition
        if bounds is not self.condition or hysteresis != self.condition.hysteresis:
            condition = bounds.with_hysteresis(hysteresis)
        return Effective(condition=condition, for_s=for_s, severity=severity)

    def render(self, labels: Labels, value: float, condition: Condition, lang: str = "zh") -> str:
        """The summary for one series and value (English when ``lang`` is ``en`` and the rule has
        one); never raises (a broken template shows as is)."""
        # The value keeps the digits that separate it from the bounds it is judged against.
        shown = Shown(value, (condition.lo, condition.hi))
        template = self.summary_en if lang == "en" and self.summary_en else self.summary
        return render_summary(template, {**labels, "value": shown,
                                             "threshold": condition.threshold, "rule": self.name})


class _Formatter(string.Formatter):
    """``str.format`` that shows ``?`` for a missing name and ignores a spec that does not fit."""

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        return kwargs.get(key, "?") if isinstance(key, str) else "?"

    def format_field(self, value: Any, format_spec: str) -> str:
        try:
            return format(value, format_spec)
        except (ValueError, TypeError):  # "{value:.1f}" on "?" or on a label string
            return str(value)


_FORMATTER = _Formatter()  # stateless, so one is enough


def render_summary(template: str, fields: Mapping[str, Any]) -> str:
    """Fill a summary template; a missing field is ``?``; a broken template is returned as is."""
    try:
        return _FORMATTER.vformat(template, (), fields)
    except (ValueError, IndexError, KeyError, AttributeError, TypeError):
        return template


_PENDING, _FIRING, _RESOLVED = AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED


def step(prev: Alert | None, value: float | None, now: float, *, rule: Rule, labels: Labels,
         eff: Effective, ignore_for: bool = False, annotations: Labels = NO_ANNOTATIONS) -> Alert | None:
    """Advance one (rule, series) alert by one evaluation at time ``now``; pure.

    ``value`` None (or NaN) means the series is absent. None → breached → PENDING (``active_at =
    now``), or FIRING at once if ``for`` is 0 or ``ignore_for``; PENDING → FIRING once breached
    for ``for`` seconds; PENDING no longer breached or absent → None (nobody was told); FIRING →
    RESOLVED once recovered (hysteresis) or absent. A RESOLVED ``prev`` counts as None: it was
    reported once, and a new breach is a new alert. ``annotations`` (the reading's payload)
    ride along on a new or firing alert.
    """
    if prev is not None and prev.state is _RESOLVED:
        prev = None
    if value is not None and value != value:  # NaN: the collector had no value
        value = None
    cond = eff.condition
    if prev is None:
        if value is None or not cond.breached(value):
            return None
        firing = ignore_for or eff.for_s <= 0
        return _make(rule, labels, eff, _FIRING if firing else _PENDING, value,
                     active_at=now, fired_at=now if firing else None, annotations=annotations)
    if prev.state is _PENDING:
        if value is None or not cond.breached(value):
            return None
        if ignore_for or now - prev.active_at >= eff.for_s:
            return _make(rule, labels, eff, _FIRING, value, active_at=prev.active_at, fired_at=now,
                         annotations=annotations or prev.annotations)
        return _update(prev, value, rule=rule, labels=labels, eff=eff)
    if value is None or cond.recovered(value):
        # The summary keeps describing the breach; ``value`` is the recovered (or last) value.
        return replace(prev, state=_RESOLVED, resolved_at=now,
                       value=prev.value if value is None else value)
    return _update(prev, value, rule=rule, labels=labels, eff=eff)


def _make(rule: Rule, labels: Labels, eff: Effective, state: AlertState, value: float, *,
          active_at: float, fired_at: float | None, annotations: Labels = NO_ANNOTATIONS) -> Alert:
    return Alert(rule=rule.name, labels=labels, state=state, severity=eff.severity, value=value,
                 active_at=active_at, fired_at=fired_at,
                 summary=rule.render(labels, value, eff.condition), clause=rule.clause,
                 annotations=dict(annotations),
                 summary_en=rule.render(labels, value, eff.condition, "en") if rule.summary_en else "")


def _update(prev: Alert, value: float, *, rule: Rule, labels: Labels, eff: Effective) -> Alert:
    # Same state: keep the object unless what people see (value, severity) changed.
    if value == prev.value and prev.severity is eff.severity:
        return prev
    return _make(rule, labels, eff, prev.state, value, active_at=prev.active_at,
                 fired_at=prev.fired_at, annotations=prev.annotations)
