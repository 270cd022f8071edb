"""Read files people edit (config, rules, profiles, templates, CSV) so that bad bytes are a
ConfigError naming the file and line, never a traceback that kills the daemon."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from monitor.core.errors import ConfigError

# No roomwatch file nests deeper than a handful of levels; the bound keeps a hostile or broken
# file from exhausting the parser's (or a validator's) recursion, which would be a crash.
MAX_DEPTH = 32
UTF8_HINT = "save the file as UTF-8 (a Chinese Windows editor often saves GBK/GB18030)"


def read_bytes(path: Path, source: str | None = None) -> bytes:
    """The bytes of ``path``; a missing or unreadable file is a ConfigError naming it."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{source or path}: no such file"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{source or path}: is a directory, not a file"]) from None
    except OSError as err:
        raise ConfigError([f"{source or path}: cannot read: {err.strerror}"]) from None


def decode(data: bytes, source: str, hint: str = UTF8_HINT) -> str:
    """``data`` as text (a UTF-8 BOM is dropped); a non-UTF-8 byte is a ConfigError saying
    where: ``FILE:LINE: not UTF-8 (byte 0xb1 at column 8); save the file as UTF-8 …``."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise ConfigError([f"{source}:{line}: not UTF-8 (byte 0x{data[err.start]:02x} at column "
                           f"{column}); {hint}"]) from None


def read_text(path: Path, source: str | None = None) -> str:
    """The text of ``path``, UTF-8; ConfigError naming the file (and line) otherwise."""
    where = source or str(path)
    return decode(read_bytes(path, where), where)


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """A TOML document as a dict; syntax errors and nesting deeper than ``MAX_DEPTH`` become
    a ConfigError naming ``source`` and the line."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([f"{source}: {err}"]) from None
    except RecursionError:
        doc = None
    if doc is None or depth(doc) > MAX_DEPTH:
        raise ConfigError([f"{source}:{_deep_line(text)}: arrays or tables nested more than "
                           f"{MAX_DEPTH} levels deep"])
    return doc


def read_toml(path: Path, source: str | None = None) -> dict[str, Any]:
    """Read and parse one TOML file (see ``read_text`` and ``parse_toml``)."""
    where = source or str(path)
    return parse_toml(read_text(path, where), where)


def depth(value: object, limit: int = MAX_DEPTH + 1) -> int:
    """How deeply lists and dicts nest in ``value`` (0 for a scalar), counted up to ``limit``;
    iterative, so a deep value cannot exhaust the stack measuring it."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            level += 1
            deepest = max(deepest, level)
            if level < limit:
                todo.extend((child, level) for child in item)
    return deepest


def _deep_line(text: str) -> int:
    # Where bracket depth first passes the bound, counting naively (strings are not skipped):
    # good enough to point a person at the line once the parser has already refused the file.
    level = 0
    for number, line in enumerate(text.splitlines(), start=1):
        for char in line:
            level += 1 if char in "[{" else -1 if char in "]}" else 0
            if level > MAX_DEPTH:
                return number
    return 1
