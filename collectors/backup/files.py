"""The ``files`` source: backups that are plain files (database dumps, what most products drop).

The newest file matching a pattern gives the age and the size; a newest file much smaller than
the one before is suspicious (a dump that stopped half-way, an empty table); a sha256sum
manifest proves older files were not changed. The same ``find`` and ``sha256sum`` run on this
host or over SSH, so one parser reads both.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from monitor.core.errors import CollectError


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupFile:
    """One file in the backup directory."""

    name: str
    mtime: float
    size: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """What ``sha256sum -c`` said: files that matched, and files changed or gone."""

    ok: tuple[str, ...]
    bad: tuple[str, ...]


def list_argv(path: str, pattern: str) -> list[str]:
    """Regular files directly in ``path`` matching ``pattern``: mtime, size, name per line."""
    return ["find", path, "-maxdepth", "1", "-type", "f", "-name", pattern, "-printf", "%T@ %s %f\\n"]


def manifest_argv(manifest: str) -> list[str]:
    """Check every line of the manifest (names are relative to the manifest's directory)."""
    return ["sha256sum", "-c", posixpath.basename(manifest)]


def manifest_dir(manifest: str) -> str:
    """Where ``sha256sum -c`` must run."""
    return posixpath.dirname(manifest) or "."


def parse_list(text: str) -> list[BackupFile]:
    """Files oldest first; a line that is not ``mtime size name`` is an error."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split(" ", 2)
        try:
            out.append(BackupFile(name=parts[2], mtime=float(parts[0]), size=float(parts[1])))
        except (IndexError, ValueError):
            raise CollectError(f"find printed a line roomwatch cannot read: {line[:120]!r}") from None
    return sorted(out, key=lambda f: (f.mtime, f.name))


def shrank(files: list[BackupFile], percent: float) -> bool:
    """The newest file is below ``percent`` % of the size of the one before it."""
    if len(files) < 2 or files[-2].size <= 0:
        return False
    return files[-1].size < files[-2].size * percent / 100.0


def parse_manifest_check(text: str) -> Verdict:
    """``name: OK`` / ``name: FAILED`` / ``name: FAILED open or read`` lines of sha256sum -c."""
    ok: list[str] = []
    bad: list[str] = []
    for line in text.splitlines():
        name, sep, word = line.rpartition(": ")
        if not sep:
            continue
        if word == "OK":
            ok.append(name)
        elif word.startswith("FAILED"):
            bad.append(name)
    return Verdict(ok=tuple(ok), bad=tuple(bad))


def manifest_sums(text: str) -> dict[str, str]:
    """file name → sha256 from a manifest's text (``HASH  NAME`` or ``HASH *NAME``)."""
    out = {}
    for line in text.splitlines():
        digest, _, name = line.strip().partition(" ")
        if len(digest) == 64 and name:
            out[name.lstrip(" *")] = digest.lower()
    return out
