"""Inhibition: a firing source alert mutes target alerts that share the ``equal`` labels.

Three rules are built in. A device that is down mutes its other alerts; a device whose
``parent`` (inventory) is down is muted altogether — one page for a dead switch, not forty; a
link that is down altogether (``website_unavailable``, ``link_unreachable``) mutes its own
``link_loss_high``, the lesser alert the same outage raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass

from alerts.config import InhibitRule
from alerts.matchers import alert_labels
from monitor.core.matchers import Matcher, all_match, parse_matchers
from monitor.core.model import Alert, AlertState


@dataclass(frozen=True, slots=True)
class CompiledInhibit:
    """An inhibition rule with its matchers parsed."""

    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]


# One HTTP or ICMP outage is 100 % loss too: page for the outage, not also for the loss.
BUILT_IN = (InhibitRule(source=["alertname=~website_unavailable|link_unreachable"],
                        target=["alertname=link_loss_high"], equal=["link"]),)


def compile_rules(rules: Sequence[InhibitRule]) -> list[CompiledInhibit]:
    """Parse every rule's matchers once; the built-in rules come first."""
    return [CompiledInhibit(parse_matchers(r.source), parse_matchers(r.target), tuple(r.equal))
            for r in (*BUILT_IN, *rules)]


def inhibited(alerts: Iterable[Alert], rules: Sequence[CompiledInhibit], *,
              down_rule: str, parents: Mapping[str, str],
              settling: Set[str] = frozenset()) -> dict[str, str]:
    """fingerprint → reason for every firing alert some other firing alert mutes; a child of a
    ``settling`` device (its parent came back moments ago) is muted too."""
    firing = [(a, alert_labels(a)) for a in alerts if a.state is AlertState.FIRING]
    down = {a.labels.get("device", "") for a, _ in firing if a.rule == down_rule}
    down.discard("")
    out: dict[str, str] = {}
    for alert, labels in firing:
        device = labels.get("device", "")
        if device in down and alert.rule != down_rule:
            out[alert.fingerprint] = f"device {device} is down"
        elif parents.get(device) in down:
            out[alert.fingerprint] = f"parent {parents[device]} of {device} is down"
        elif parents.get(device) in settling:
            out[alert.fingerprint] = f"parent {parents[device]} of {device} has just come back"
    for rule in rules:
        sources = [labels for a, labels in firing if all_match(rule.source, labels)]
        if not sources:
            continue
        for alert, labels in firing:
            if alert.fingerprint in out or not all_match(rule.target, labels):
                continue
            if all_match(rule.source, labels):
                continue  # an alert matching both sides never mutes itself or its peers
            for src in sources:
                if all(src.get(k, "") == labels.get(k, "") for k in rule.equal):
                    out[alert.fingerprint] = "inhibited by " + ",".join(map(str, rule.source))
                    break
    return out
