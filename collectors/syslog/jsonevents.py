"""Windows events forwarded as JSON (NXLog ``to_json()`` over om_udp/om_tcp, with or without a
syslog header before it): the ``[[json]]`` entries of catalog.toml, keyed by ``EventID``.

The JSON is read only when the text holds ``"EventID"`` (a cheap test) and is tried before the
text patterns: the rendered ``Message`` inside it would otherwise be read with its escapes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

MARK = '"EventID"'
_decoder = json.JSONDecoder()
_NONE = ("", "-")  # what Windows writes for "no address" / "no user"


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonPattern:
    """One event ID: its catalog event and which JSON fields hold ``user``, ``source`` and a
    ``command`` (a field whose value is kept as what was done, e.g. the account created)."""

    name: str
    vendor: str
    event_id: int
    event: str
    user: str = ""
    source: str = ""
    command: str = ""
    example: str


def record(text: str) -> Mapping[str, object] | None:
    """The JSON object in ``text`` that carries an ``EventID`` (after any header), or None."""
    start = text.find("{")
    while start >= 0:
        try:
            obj, _end = _decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        return obj if isinstance(obj, dict) and "EventID" in obj else None
    return None


def event_id(obj: Mapping[str, object]) -> int | None:
    """``EventID`` as a number (NXLog writes it as a number, some shippers as a string)."""
    value = obj.get("EventID")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def value_of(obj: Mapping[str, object], name: str) -> str:
    """A field as text; Windows' "-" (none) as empty."""
    if not name:
        return ""
    value = obj.get(name)
    text = "" if value is None else str(value).strip()
    return "" if text in _NONE else text


def load_json(entries: list[dict[str, object]], where: str) -> list[JsonPattern]:
    """The ``[[json]]`` entries; ValueError names the one that is wrong."""
    out: list[JsonPattern] = []
    for i, entry in enumerate(entries):
        at = f"{where}: json[{i}] ({entry.get('name', '?')})"
        try:
            pattern = JsonPattern(name=str(entry["name"]), vendor=str(entry["vendor"]),
                                  event_id=int(str(entry["event_id"])), event=str(entry["event"]),
                                  user=str(entry.get("user", "")), source=str(entry.get("source", "")),
                                  command=str(entry.get("command", "")), example=str(entry["example"]))
        except KeyError as err:
            raise ValueError(f"{at}: missing {err}") from None
        except ValueError:
            raise ValueError(f"{at}: event_id must be a number") from None
        obj = record(pattern.example)
        if obj is None or event_id(obj) != pattern.event_id:
            raise ValueError(f"{at}: its example is not a JSON event {pattern.event_id}")
        out.append(pattern)
    return out
