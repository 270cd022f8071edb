"""Which message means what: ``catalog.toml``, loaded once, applied by a pure function."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from collectors.syslog.jsonevents import MARK, JsonPattern, event_id, load_json, record, value_of

DEFAULT = Path(__file__).with_name("catalog.toml")
EVENTS = ("login_failed", "config_saved", "log_cleared", "sudo", "login", "account_created",
          "account_deleted")


@dataclass(frozen=True, slots=True, kw_only=True)
class Pattern:
    """One known message: a literal every such message contains (a cheap first test), the
    regular expression that reads its fields (``user``, ``source``, ``command``), and its event."""

    name: str
    vendor: str
    contains: str
    regex: re.Pattern[str]
    event: str
    example: str


class Event(NamedTuple):
    """What one message said: its event and the fields the pattern read. A NamedTuple, like
    parse.Message, because one is made for every matching message (a frozen dataclass costs
    three times as much to build)."""

    event: str
    pattern: str
    user: str = ""
    source: str = ""
    command: str = ""


@dataclass(frozen=True)
class Catalog:
    """Known messages, tried in file order; the first that matches wins. JSON events (Windows
    via NXLog ``to_json()``) are looked up by their ``EventID`` first."""

    patterns: tuple[Pattern, ...]
    json: tuple[JsonPattern, ...] = ()
    # Every pattern's literal in one expression: one search finds which literals a message
    # holds, so only their patterns are tried (most messages hold none).
    literals: re.Pattern[str] = field(init=False, repr=False, compare=False)
    within: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)
    by_id: dict[int, JsonPattern] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        words = sorted({p.contains for p in self.patterns}, key=len, reverse=True)
        object.__setattr__(self, "literals", re.compile("|".join(map(re.escape, words)) or "(?!)"))
        # a longer literal found ("LOGIN_FAILED") means the shorter ones in it are there too
        object.__setattr__(self, "within", {w: frozenset(v for v in words if v in w) for w in words})
        object.__setattr__(self, "by_id", {p.event_id: p for p in self.json})

    def match(self, text: str) -> Event | None:
        """The event ``text`` reports, or None when no pattern knows it."""
        if MARK in text and self.by_id:
            event = self._json(text)
            if event is not None:
                return event
        found = self.literals.findall(text)
        if not found:
            return None
        held = frozenset().union(*(self.within[w] for w in found))
        for p in self.patterns:
            if p.contains in held:
                m = p.regex.search(text)
                if m is not None:
                    fields = m.groupdict()
                    return Event(event=p.event, pattern=p.name,
                                 user=(fields.get("user") or "").strip(),
                                 source=(fields.get("source") or "").strip(),
                                 command=(fields.get("command") or "").strip())
        return None


    def _json(self, text: str) -> Event | None:
        obj = record(text)
        number = event_id(obj) if obj is not None else None
        p = self.by_id.get(number) if number is not None else None
        if obj is None or p is None:
            return None
        return Event(event=p.event, pattern=p.name, user=value_of(obj, p.user),
                     source=value_of(obj, p.source), command=value_of(obj, p.command))


def load(path: Path = DEFAULT) -> Catalog:
    """The catalog in ``path``; ValueError names the entry that is wrong (every entry's
    ``example`` must match its own pattern, so the data cannot drift from the devices' words)."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    patterns: list[Pattern] = []
    for i, entry in enumerate(data.get("patterns", [])):
        where = f"{path.name}: patterns[{i}] ({entry.get('name', '?')})"
        try:
            pattern = Pattern(name=entry["name"], vendor=entry["vendor"], contains=entry["contains"],
                              regex=re.compile(entry["regex"]), event=entry["event"],
                              example=entry["example"])
        except KeyError as err:
            raise ValueError(f"{where}: missing {err}") from None
        except re.error as err:
            raise ValueError(f"{where}: regex: {err}") from None
        if pattern.event not in EVENTS:
            raise ValueError(f"{where}: event must be one of {', '.join(EVENTS)}")
        if pattern.contains not in pattern.example or not pattern.regex.search(pattern.example):
            raise ValueError(f"{where}: its example does not match contains/regex")
        patterns.append(pattern)
    by_id = load_json(data.get("json", []), path.name)
    for entry in by_id:
        if entry.event not in EVENTS:
            raise ValueError(f"{path.name}: json {entry.name}: event must be one of {', '.join(EVENTS)}")
    return Catalog(tuple(patterns), tuple(by_id))
