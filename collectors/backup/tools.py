"""restic and borg: the command lines roomwatch runs and parsers of what they print.

Only read-only listings run at every poll (``--no-lock`` / ``--bypass-lock``, no cache
written); the integrity check and restores are separate calls the collector paces. Parsers are
pure functions over the tools' own JSON, tested against what the Debian packages print.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collectors.backup.runner import Secret
from monitor.core.errors import CollectError

# borg prints archive times in the local time of the host it runs on, without a zone:
# running it with TZ=UTC makes them UTC wherever it runs.
BORG_ENV = {"TZ": "UTC", "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes",
            "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "no", "BORG_DISPLAY_PASSPHRASE": "no"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """One backup in a repository: its id (restic snapshot, borg archive name) and time."""

    id: str
    time: float


def secret(tool: str, password: str) -> Secret:
    """How ``tool`` takes its password: environment locally, stdin over SSH."""
    if tool == "restic":
        return Secret(value=password, env="RESTIC_PASSWORD")
    return Secret(value=password, env="BORG_PASSPHRASE", stdin_env={"BORG_PASSPHRASE_FD": "0"})


def list_argv(tool: str, repository: str) -> list[str]:
    """List the snapshots (read-only)."""
    if tool == "restic":
        return ["restic", "-r", repository, "snapshots", "--json", "--no-lock", "--no-cache"]
    return ["borg", "list", "--json", "--bypass-lock", repository]


def size_argv(tool: str, repository: str, snapshot: str) -> list[str]:
    """The restore size of one snapshot."""
    if tool == "restic":
        return ["restic", "-r", repository, "stats", snapshot, "--json", "--no-lock", "--no-cache"]
    return ["borg", "info", "--json", "--bypass-lock", f"{repository}::{snapshot}"]


def check_argv(tool: str, repository: str, read_data_subset: str = "") -> list[str]:
    """The integrity check (reads the repository's structure; restic optionally some data)."""
    if tool == "restic":
        extra = ["--read-data-subset", read_data_subset] if read_data_subset else []
        return ["restic", "-r", repository, "check", "--no-cache", *extra]
    return ["borg", "check", repository]


def restore_argv(tool: str, repository: str, snapshot: str, target: str, paths: list[str]) -> list[str]:
    """Restore ``paths`` (all if empty) of one snapshot under ``target``; the tool verifies
    content against the repository's checksums (restic ``--verify``; borg always)."""
    if tool == "restic":
        includes = [arg for p in paths for arg in ("--include", p)]
        return ["restic", "-r", repository, "restore", snapshot, "--target", target, "--verify",
                "--no-cache", *includes]
    # borg extracts into the working directory, paths without their leading slash.
    return ["borg", "extract", f"{repository}::{snapshot}", *(p.lstrip("/") for p in paths)]


def parse_snapshots(tool: str, text: str) -> list[Snapshot]:
    """Snapshots oldest first; CollectError when the text is not the tool's JSON."""
    try:
        doc = _json(text)
        rows = doc if tool == "restic" else doc["archives"]
        out = [Snapshot(id=str(row["id"] if tool == "restic" else row["name"]),
                        time=_timestamp(row["time"], naive_utc=tool == "borg")) for row in rows]
    except (ValueError, KeyError, TypeError) as err:
        raise CollectError(f"{tool} printed a snapshot list roomwatch cannot read: "
                           f"{type(err).__name__}") from None
    return sorted(out, key=lambda s: s.time)


def parse_size(tool: str, text: str) -> float | None:
    """Bytes the snapshot restores to (None when the tool did not say)."""
    try:
        doc = _json(text)
        value = doc["total_size"] if tool == "restic" else doc["archives"][0]["stats"]["original_size"]
        return float(value)
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def failure(tool: str, repository: str, where: str, stderr: str, secret_: Secret | None) -> CollectError:
    """A clear error for a failed listing: wrong password, missing repository, or the tool's words."""
    from collectors.backup.runner import last_line

    low = stderr.lower()
    if "wrong password" in low or ("passphrase" in low and "incorrect" in low):
        reason = "wrong repository password (check the password setting; it is not shown)"
    elif any(words in low for words in ("does not exist", "is there a repository", "repository not found",
                                        "is not a valid repository")):
        reason = "no repository there"
    else:
        reason = last_line(stderr, secret_) or "failed"
    return CollectError(f"{tool} {repository} on {where}: {reason}")


def _json(text: str) -> Any:
    # restic says "reading repository password from stdin" on stdout before its JSON.
    start = min((i for i in (text.find("["), text.find("{")) if i >= 0), default=0)
    return json.loads(text[start:])


def _timestamp(text: str, *, naive_utc: bool) -> float:
    # restic: RFC 3339 with nanoseconds and an offset; borg: naive ISO with microseconds.
    head, _, rest = text.partition(".")
    zone = ""
    if rest:
        digits = rest.rstrip("Z")
        cut = next((i for i, ch in enumerate(digits) if ch in "+-"), len(digits))
        zone = digits[cut:] or ("+00:00" if rest.endswith("Z") else "")
        frac = float("0." + digits[:cut][:6]) if digits[:cut] else 0.0
    else:
        frac = 0.0
        if head.endswith("Z"):
            head, zone = head[:-1], "+00:00"
        elif len(head) > 19:
            head, zone = head[:19], head[19:]
    moment = datetime.fromisoformat(head + zone)
    if moment.tzinfo is None:
        if not naive_utc:
            raise ValueError(f"time without a zone: {text!r}")
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() + frac
