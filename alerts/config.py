"""The ``[notify]`` section: receivers, the routing tree, inhibition, on-call rota, escalations.

``monitor.config`` embeds :class:`NotifySettings`; this module imports nothing of it, so the
pipeline stays independent of the daemon's wiring.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from alerts.matchers import parse_matchers
from monitor.core.durations import Duration
from monitor.core.secrets import Secret
from monitor.core.windows import TimeZone

RESERVED = ("oncall",)
"""Receiver names with a meaning of their own: ``oncall`` is whoever the rota names now."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _check_matchers(value: list[str]) -> list[str]:
    parse_matchers(value)  # raises ValueError naming the bad matcher
    return value


MatcherList = Annotated[list[str], AfterValidator(_check_matchers)]
"""A list of ``label=value`` / ``!=`` / ``=~`` / ``!~`` matchers, checked when the config loads."""


class Receiver(_Model):
    """One ``[[notify.receivers]]``: a name and the apprise URLs that reach it."""

    name: str = Field(min_length=1, description="Referenced by routes and escalations.")
    urls: list[Secret] = Field(min_length=1, description="apprise URLs; env:/file: secrets allowed.")
    format: Literal["im", "sms", "mail"] = Field("im", description="Message form: im (full), sms (compact).")
    lang: Literal["zh", "en"] | None = Field(None, description="Language; default [notify] lang.")
    fallback: str | None = Field(None, description="Receiver used when this one keeps failing.")
    fallback_after: int = Field(3, ge=1, description="Failed attempts before the fallback is used.")
    rate_limit: int = Field(0, ge=0, description="Messages per minute per URL; 0 = no limit.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value in RESERVED:
            raise ValueError(f"{value!r} is reserved for the on-call rota")
        return value


class Route(_Model):
    """One ``[[notify.routes]]``: label matchers → receiver, with grouping and timing.

    Routes are tried in order; the first that matches takes the alert unless it sets
    ``continue = true``. No matchers means every alert. Timing defaults are Alertmanager's.
    """

    receiver: str = Field(min_length=1, description="Name of a [[notify.receivers]].")
    match: dict[str, str] = Field(default_factory=dict, description="Labels that must be equal.")
    matchers: MatcherList = Field(default_factory=list, description='e.g. ["severity=critical"].')
    continue_: bool = Field(False, alias="continue", description="Keep trying later routes.")
    group_by: list[str] = Field(default_factory=list, description='Labels grouping alerts; ["..."] = none.')
    group_wait: Duration = Field(30.0, description="Wait before the first message of a new group.")
    group_interval: Duration = Field(300.0, description="Wait before telling a group's changes.")
    repeat_interval: Duration = Field(4 * 3600.0, description="Repeat an unacknowledged firing group.")


class InhibitRule(_Model):
    """One ``[[notify.inhibit]]``: a firing ``source`` alert mutes ``target`` alerts with equal labels."""

    source: MatcherList = Field(min_length=1, description="Matchers of the muting alert.")
    target: MatcherList = Field(min_length=1, description="Matchers of the alerts it mutes.")
    equal: list[str] = Field(default_factory=list, description="Labels both must share.")


class Person(_Model):
    """Someone on the rota: how to reach them."""

    name: str = Field(min_length=1, description="Shown in messages and reports.")
    phone: str = Field("", description="Mobile number, shown in escalation messages.")
    im: str = Field("", description="IM id (DingTalk/WeCom), shown in messages.")
    urls: list[Secret] = Field(min_length=1, description="apprise URLs reaching this person (SMS…).")


class Override(_Model):
    """A holiday or swap: ``person`` is on call from ``from`` until ``until`` (local time)."""

    person: str = Field(description="Name of a person on the rota.")
    from_: dt.datetime = Field(alias="from", description="Local start.")
    until: dt.datetime = Field(description="Local end.")


class OnCall(_Model):
    """``[notify.oncall]``: a weekly rotation over ``people`` with overrides."""

    people: list[Person] = Field(default_factory=list, description="In rotation order.")
    start: dt.date = Field(dt.date(2026, 1, 5), description="A day the first person's week begins.")
    handover: dt.time = Field(dt.time(9, 0), description="Local time the week changes hands.")
    rotation: Duration = Field(7 * 86400.0, gt=0, description="How long each turn lasts.")
    timezone: TimeZone = Field("Asia/Shanghai", description="Time zone of start, handover and overrides.")
    overrides: list[Override] = Field(default_factory=list, description="Holidays and swaps.")

    @model_validator(mode="after")
    def _known_people(self) -> OnCall:
        names = {p.name for p in self.people}
        bad = [o.person for o in self.overrides if o.person not in names]
        if bad:
            raise ValueError(f"override names {bad[0]!r}, who is not in people")
        return self


class Level(_Model):
    """One step of an escalation: tell ``receiver`` when unacknowledged ``after`` firing."""

    after: Duration = Field(0.0, description="Time since the alert fired.")
    receiver: str = Field(description='A receiver name, or "oncall" for the person on call.')


class Escalation(_Model):
    """One ``[[notify.escalations]]``: the alerts it covers and its levels."""

    matchers: MatcherList = Field(default_factory=list, description="Alerts covered; [] = all.")
    levels: list[Level] = Field(min_length=1, description="Steps, each with after and receiver.")


class NotifySettings(_Model):
    """Where alerts go. ``urls = [...]`` alone is shorthand for one receiver ``default`` that
    gets every alert at once, each on its own (no grouping)."""

    urls: list[Secret] = Field(default_factory=list, description="Shorthand default receiver.")
    lang: Literal["zh", "en"] = Field("zh", description="Language of messages.")
    retry_initial: Duration = Field(5.0, gt=0, description="First retry delay after a failed send.")
    retry_max: Duration = Field(600.0, gt=0, description="Longest delay between retries.")
    receivers: list[Receiver] = Field(default_factory=list, description="Named receivers.")
    routes: list[Route] = Field(default_factory=list, description="The routing tree, in order.")
    inhibit: list[InhibitRule] = Field(default_factory=list, description="Extra inhibition rules.")
    down_rule: str = Field("device_down", description="Rule whose alert mutes the device and its children.")
    oncall: OnCall = Field(default_factory=OnCall, description="The on-call rota.")
    escalations: list[Escalation] = Field(default_factory=list, description="Escalation policies.")
    repair_notices: list[Duration] = Field(
        default_factory=lambda: [7200.0, 14400.0],
        description="002: tell again when a critical alert is unresolved this long.")
    templates_dir: str | None = Field(None, description="Site templates overriding the shipped ones.")
    heartbeat_url: Secret | None = Field(None, description="Dead-man URL pinged while the daemon lives.")
    heartbeat_interval: Duration = Field(300.0, gt=0, description="How often the heartbeat is pinged.")

    def secret_values(self) -> list[str]:
        """Every secret in the section, for the log redaction filter."""
        urls = [*self.urls, *(u for r in self.receivers for u in r.urls),
                *(u for p in self.oncall.people for u in p.urls)]
        if self.heartbeat_url is not None:
            urls.append(self.heartbeat_url)
        return [u.get_secret_value() for u in urls]

    @model_validator(mode="after")
    def _references(self) -> NotifySettings:
        names = [r.name for r in self.receivers] + (["default"] if self.urls else [])
        problems = [f"receivers: {n!r} is defined twice" for n in sorted(set(names)) if names.count(n) > 1]
        known = set(names)
        for i, route in enumerate(self.routes):
            if route.receiver not in known:
                problems.append(f"routes[{i}].receiver: no receiver named {route.receiver!r}")
        for i, rec in enumerate(self.receivers):
            if rec.fallback is not None and rec.fallback not in known:
                problems.append(f"receivers[{i}].fallback: no receiver named {rec.fallback!r}")
        for i, esc in enumerate(self.escalations):
            for j, level in enumerate(esc.levels):
                if level.receiver == "oncall" and not self.oncall.people:
                    problems.append(f"escalations[{i}].levels[{j}]: oncall needs [notify.oncall] people")
                elif level.receiver not in known and level.receiver != "oncall":
                    problems.append(f"escalations[{i}].levels[{j}].receiver: no receiver named "
                                    f"{level.receiver!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def default_route() -> dict[str, Any]:
    """The route ``urls = [...]`` stands for: every alert on its own, told at once."""
    return {"receiver": "default", "group_by": ["..."], "group_wait": 0.0, "group_interval": 0.0}
