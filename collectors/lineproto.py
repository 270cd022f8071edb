"""Parse InfluxDB line protocol (what 动环 scripts and Telegraf's exec speak) into Readings."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.core.model import Reading

# Line protocol timestamps are nanoseconds by default.
_NS = 1e-9


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What a block of text held: the readings, and the bad lines as (line number, reason)."""

    readings: list[Reading]
    errors: list[tuple[int, str]]


def parse(text: str, now: float) -> ParseResult:
    """Parse every line; a line without a timestamp gets ``now``.

    Field ``value`` becomes the measurement's metric; any other numeric field ``f`` becomes
    ``<measurement>_<f>`` (Telegraf's convention). String fields are ignored.
    """
    readings: list[Reading] = []
    errors: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            readings.extend(_parse_line(line, now))
        except ValueError as err:
            errors.append((number, str(err)))
    return ParseResult(readings, errors)


def _parse_line(line: str, now: float) -> list[Reading]:
    split = _split_unescaped(line, " ", 1)
    if len(split) < 2 or not split[1].strip():
        raise ValueError("no fields")
    head, rest = split[0], split[1].strip()
    parts = _split_unescaped(head, ",")
    measurement = _unescape(parts[0])
    if not measurement:
        raise ValueError("empty measurement")
    labels: dict[str, str] = {}
    for tag in parts[1:]:
        key, eq, value = tag.partition("=")
        if not eq or not key or not value:
            raise ValueError(f"bad tag {tag!r}")
        labels[_unescape(key)] = _unescape(value)
    fields_text, ts_text = _split_fields_and_ts(rest)
    ts = now
    if ts_text:
        try:
            ts = int(ts_text) * _NS
        except ValueError:
            raise ValueError(f"bad timestamp {ts_text!r}") from None
    readings = []
    for field in _split_unescaped(fields_text, ","):
        key, eq, value = field.partition("=")
        if not eq or not key:
            raise ValueError(f"bad field {field!r}")
        number = _field_number(value)
        if number is None:
            continue
        name = measurement if key == "value" else f"{measurement}_{_unescape(key)}"
        readings.append(Reading(name, number, labels, ts))
    if not readings and not fields_text:
        raise ValueError("no fields")
    return readings


def _field_number(text: str) -> float | None:
    if text.startswith('"'):
        return None  # string field: not a number, nothing to judge
    if text in ("t", "T", "true", "True", "TRUE"):
        return 1.0
    if text in ("f", "F", "false", "False", "FALSE"):
        return 0.0
    if text[-1:] in ("i", "u"):
        text = text[:-1]
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"field value {text!r} is not a number") from None
    if value != value:  # NaN says nothing and would break every comparison
        raise ValueError("field value is NaN")
    return value


def _split_fields_and_ts(rest: str) -> tuple[str, str]:
    # The field set may hold quoted strings with spaces; the timestamp is after the last
    # unquoted, unescaped space.
    in_quotes, escaped, cut = False, False, -1
    for i, ch in enumerate(rest):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            in_quotes = not in_quotes
        elif ch == " " and not in_quotes:
            cut = i
            break
    if in_quotes:
        raise ValueError("unterminated string field")
    if cut < 0:
        return rest, ""
    return rest[:cut], rest[cut + 1 :].strip()


def _split_unescaped(text: str, sep: str, maxsplit: int = -1) -> list[str]:
    parts: list[str] = []
    start, escaped, in_quotes = 0, False, False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"' and sep == ",":
            in_quotes = not in_quotes
        elif ch == sep and not in_quotes and (maxsplit < 0 or len(parts) < maxsplit):
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, escaped = [], False
    for ch in text:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch)
    return "".join(out)
