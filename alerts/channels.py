"""Every channel of a ``[notify]`` section, built from the config: apprise URLs, SMS and voice
numbers, the people on call. Lives beside :mod:`alerts.config` so that the notifiers never
import the config (which imports their options models)."""

from __future__ import annotations

from collections.abc import Sequence

from alerts.config import NotifySettings
from alerts.notifiers import kinds
from alerts.notifiers.apprise import AppriseNotifier
from alerts.notifiers.sms import Sender


def from_settings(settings: NotifySettings) -> AppriseNotifier:
    """Every channel of a ``[notify]`` section: receivers, the shorthand URLs, people on call."""
    receivers: list[tuple[str, str, Sequence[str]]] = [
        (r.name, f"notify.receivers[{i}].urls", [u.get_secret_value() for u in r.urls])
        for i, r in enumerate(settings.receivers)]
    receivers += [(f"oncall:{p.name}", f"notify.oncall.people[{i}].urls",
                   [u.get_secret_value() for u in p.urls])
                  for i, p in enumerate(settings.oncall.people)]
    senders: dict[str, Sender] = {}
    bad = []
    for i, r in enumerate(settings.receivers):
        if r.kind != "apprise":
            try:
                senders[r.name] = kinds.build(r.kind, r.options())
            except ValueError as err:
                bad.append(f"notify.receivers[{i}].{r.kind}.{err}")
    if bad:
        raise ValueError("\n".join(bad))
    sms = [(r.name, senders[r.name], settings.numbers_of(r)) for r in settings.receivers if r.name in senders]
    rota = senders.get(settings.oncall.sms or "")
    if rota is not None:  # the person on call is texted at their own phone
        sms += [(f"oncall:{p.name}", rota, [p.phone]) for p in settings.oncall.people if p.phone]
    return AppriseNotifier([u.get_secret_value() for u in settings.urls], receivers=receivers, sms=sms)
