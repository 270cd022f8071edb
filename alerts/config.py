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

from alerts.notifiers.aliyun import AliyunSmsOptions, AliyunVoiceOptions
from alerts.notifiers.gammu import GammuOptions
from alerts.notifiers.sms import is_phone, normalize_phone
from alerts.notifiers.smstools import SmstoolsOptions
from alerts.notifiers.tencent import TencentSmsOptions, TencentVoiceOptions
from monitor.core.durations import Duration
from monitor.core.matchers import parse_matchers
from monitor.core.model import Severity
from monitor.core.secrets import Secret, secrets_in
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


SMS_KINDS = ("aliyun_sms", "tencent_sms", "gammu", "smstools", "aliyun_voice", "tencent_voice")
"""Receiver kinds that text (or call) phone numbers; each has an options table named like the kind."""


class Receiver(_Model):
    """One ``[[notify.receivers]]``: a name and how it is reached — apprise URLs, or one SMS kind
    (Aliyun, Tencent Cloud, a modem through gammu-smsd or smstools) and phone numbers."""

    name: str = Field(min_length=1, description="Referenced by routes and escalations.")
    kind: Literal["apprise", "aliyun_sms", "tencent_sms", "gammu", "smstools", "aliyun_voice",
                  "tencent_voice"] = Field(
        "apprise", description="How messages go out; SMS and voice kinds need their options table.")
    urls: list[Secret] = Field(default_factory=list, description="apprise URLs; env:/file: secrets allowed.")
    numbers: list[str] = Field(default_factory=list,
                               description="SMS kinds: +86 mobile numbers, or names of people on the rota.")
    aliyun_sms: AliyunSmsOptions | None = Field(None, description="kind = aliyun_sms: Aliyun SMS.")
    tencent_sms: TencentSmsOptions | None = Field(None, description="kind = tencent_sms: Tencent Cloud SMS.")
    gammu: GammuOptions | None = Field(None, description="kind = gammu: a modem through gammu-smsd.")
    smstools: SmstoolsOptions | None = Field(None, description="kind = smstools: a modem through smsd.")
    aliyun_voice: AliyunVoiceOptions | None = Field(None, description="kind = aliyun_voice: 语音通知.")
    tencent_voice: TencentVoiceOptions | None = Field(None, description="kind = tencent_voice: 语音消息.")
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

    @model_validator(mode="after")
    def _kind(self) -> Receiver:
        tables = [k for k in SMS_KINDS if getattr(self, k) is not None]
        if self.kind == "apprise":
            if not self.urls:
                raise ValueError("urls: an apprise receiver needs at least one URL")
            if tables or self.numbers:
                raise ValueError(f"{(tables or ['numbers'])[0]}: only for SMS kinds; set kind")
            return self
        if self.urls:
            raise ValueError(f"urls: a {self.kind} receiver texts numbers; urls are for kind = apprise")
        if tables != [self.kind]:
            raise ValueError(f"kind = {self.kind!r} needs a [{self.kind}] table and no other kind's"
                             f" (found: {', '.join(tables) or 'none'})")
        for number in self.numbers:
            if any(c.isdigit() for c in number) and not is_phone(number):
                raise ValueError(f"numbers: {number!r} is not a mainland China mobile number "
                                 "(+86 1[3-9]xxxxxxxxx)")
        return self

    def options(self) -> Any:
        """The options table of this receiver's SMS kind (None for apprise)."""
        return getattr(self, self.kind) if self.kind in SMS_KINDS else None


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
    phone: str = Field("", description="+86 mobile number: shown in escalations, "
                       "texted by every SMS receiver that names this person.")
    im: str = Field("", description="IM id (DingTalk/WeCom), shown in messages.")
    urls: list[Secret] = Field(default_factory=list, description="apprise URLs reaching this person.")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value) if value else value

    @model_validator(mode="after")
    def _reachable(self) -> Person:
        if not self.urls and not self.phone:
            raise ValueError(f"{self.name}: needs urls or a phone (with [notify.oncall] sms)")
        return self


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
    sms: str | None = Field(None, description="SMS receiver that texts the person on call at their phone.")

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


LevelName = Literal["1", "2", "3"]


class DeviceLevel(_Model):
    """What a device's ``level`` (003: 1 highest … 3) means for its alerts."""

    severity_floor: Severity | None = Field(
        None, description="Alerts of devices at this level are at least this severe.")
    record_only: bool = Field(False, description="Never told: only the daily record and the report.")


def default_levels() -> dict[LevelName, DeviceLevel]:
    """Level 1 (main DB servers, core network) is critical; level 3 (department PCs) is only recorded."""
    return {"1": DeviceLevel(severity_floor=Severity.CRITICAL), "3": DeviceLevel(record_only=True)}


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
    levels: dict[LevelName, DeviceLevel] = Field(
        default_factory=default_levels, description="Severity floor and record-only per device level; "
        "a [notify.levels] table replaces the defaults (1: critical, 3: record only).")
    parent_grace: Duration = Field(
        150.0, ge=0, description="Children stay muted this long after their parent's down alert "
        "resolves: their own recovery is judged a poll or two later.")
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
        return secrets_in(self)  # URLs, heartbeat, and every SMS/voice kind's credentials

    def numbers_of(self, receiver: Receiver) -> list[str]:
        """The phone numbers an SMS receiver texts, people on the rota replaced by their phone."""
        phones = {p.name: p.phone for p in self.oncall.people}
        out = []
        for entry in receiver.numbers:
            number = normalize_phone(entry) if is_phone(entry) else phones.get(entry, "")
            if number and number not in out:
                out.append(number)
        return out

    @model_validator(mode="after")
    def _references(self) -> NotifySettings:
        names = [r.name for r in self.receivers] + (["default"] if self.urls else [])
        problems = [f"receivers: {n!r} is defined twice" for n in sorted(set(names)) if names.count(n) > 1]
        known = set(names)
        for i, route in enumerate(self.routes):
            if route.receiver not in known:
                problems.append(f"routes[{i}].receiver: no receiver named {route.receiver!r}")
        people = {p.name: p for p in self.oncall.people}
        for i, rec in enumerate(self.receivers):
            if rec.fallback is not None and rec.fallback not in known:
                problems.append(f"receivers[{i}].fallback: no receiver named {rec.fallback!r}")
            for j, entry in enumerate(rec.numbers):
                if is_phone(entry):
                    continue
                if entry not in people:
                    problems.append(f"receivers[{i}].numbers[{j}]: {entry!r} is neither a +86 mobile "
                                    "number nor a person in [notify.oncall] people")
                elif not people[entry].phone:
                    problems.append(f"receivers[{i}].numbers[{j}]: {entry} has no phone in "
                                    "[notify.oncall] people")
            if rec.kind != "apprise" and not rec.numbers and rec.name != self.oncall.sms:
                problems.append(f"receivers[{i}].numbers: a {rec.kind} receiver needs numbers "
                                "(or to be [notify.oncall] sms)")
        sms = self.oncall.sms
        if sms is not None:
            kind = next((r.kind for r in self.receivers if r.name == sms), None)
            if kind is None or kind == "apprise":
                problems.append(f"oncall.sms: {sms!r} is not an SMS receiver")
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
