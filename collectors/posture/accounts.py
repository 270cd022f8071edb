"""Privileged accounts beyond the approved list, and enabled accounts unused for N days (Linux)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from collectors.posture.outcome import Builder, Outcome, unavailable

DAY = 86400.0
_ADMIN_GROUPS = ("sudo", "wheel", "admin", "root")
_NO_LOGIN = ("nologin", "false", "sync", "halt", "shutdown")


def privileged_accounts(sec: Mapping[str, str], now: float, *, approved: Sequence[str],
                        unused_days: int) -> Outcome:
    """``privileged_unapproved_accounts`` (UID 0 or in sudo/wheel/admin beyond ``approved``) and
    ``accounts_unused`` (login-capable, not locked, no login for ``unused_days``)."""
    passwd, group = sec.get("passwd"), sec.get("group")
    if passwd is None or group is None or "Permission denied" in passwd:
        return unavailable("/etc/passwd or /etc/group not readable")
    users: dict[str, tuple[int, str]] = {}
    for line in passwd.splitlines():
        parts = line.split(":")
        if len(parts) >= 7 and parts[2].isdigit():
            users[parts[0]] = (int(parts[2]), parts[6])
    if not users:
        return unavailable("/etc/passwd printed no accounts")
    privileged = {name for name, (uid, _) in users.items() if uid == 0}
    for line in group.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[0] in _ADMIN_GROUPS and parts[0] != "root":
            privileged |= {m for m in parts[3].split(",") if m}
    extra = sorted(privileged - set(approved))
    b = Builder()
    b.add("privileged_unapproved_accounts", len(extra))
    b.details("privileged_unapproved", extra, "user")
    locked = _locked(sec.get("shadow"))
    enabled = [name for name, (uid, shell) in users.items()
               if (uid == 0 or 1000 <= uid < 65534) and not shell.endswith(_NO_LOGIN)
               and name not in (locked or set())]
    # Without /etc/shadow (not root) locked accounts count as enabled: more reported, never less.
    last = _lastlog(sec.get("lastlog", ""))
    if last is None:
        b.lack("no lastlog on this server: account use unknown")
        return b.done()
    limit = now - unused_days * DAY
    unused = [name for name in enabled if last.get(name, 0.0) < limit]
    b.add("accounts_unused", len(unused))
    b.details("account_unused", unused, "user")
    return b.done()


def _locked(shadow: str | None) -> set[str] | None:
    if shadow is None or "cannot open" in shadow or "Permission denied" in shadow:
        return None
    return {w[0] for line in shadow.splitlines() if len(w := line.split()) >= 2 and w[1] == "L"}


def _lastlog(text: str) -> dict[str, float] | None:
    """user → last login time (0 for never) from ``lastlog`` / ``lastlog2`` output."""
    lines = text.splitlines()
    if not lines or lines[0].strip() in ("nolastlog", "") or not lines[0].startswith("Username"):
        return None
    out: dict[str, float] = {}
    for line in lines[1:]:
        words = line.split()
        if not words:
            continue
        if "**Never logged in**" in line or "**Never" in line:
            out[words[0]] = 0.0
            continue
        # "... Mon Nov 30 10:01:02 +0000 2026": the last six words are the time.
        try:
            out[words[0]] = datetime.strptime(" ".join(words[-6:]), "%a %b %d %H:%M:%S %z %Y").timestamp()
        except ValueError:
            out[words[0]] = 0.0
    return out
