"""``roomwatch logs verify|search``: check the syslog evidence chain, read stored messages.

Exit codes: 0 fine (verify: every day's chain and digest hold; search: printed what matched,
possibly nothing), 1 verify found a broken day, 2 usage (bad arguments, no evidence store).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from monitor.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VIOLATIONS,
    add_config_option,
    command_group,
    load,
)
from monitor.core.severities import SEVERITIES

if TYPE_CHECKING:
    import sqlite3


def register(sub: Any) -> None:
    """Add ``logs verify`` and ``logs search``."""
    logs = command_group(sub, "logs", help="Verify or search the received syslog evidence.")
    v = logs.add_parser("verify", help="Check every day's hash chain and digest; name broken days.",
                        description="Recompute each day's hash chain of stored syslog messages and compare "
                        "it with the day's record and the digest file. Exit 1 names the days altered.")
    add_config_option(v)
    v.add_argument("--since", default="", metavar="DAY|AGO",
                   help="first day to check: YYYY-MM-DD or a duration back from now (7d)")
    v.add_argument("--json", action="store_true", help="print one JSON object")
    v.set_defaults(handler=verify)
    s = logs.add_parser("search", help="Search stored syslog messages.",
                        description="Stored syslog messages, oldest first.")
    add_config_option(s)
    s.add_argument("--device", default="", help="device name (or sender address if not in the inventory)")
    s.add_argument("--since", default="", metavar="WHEN",
                   help="from: YYYY-MM-DD[ HH:MM[:SS]] or a duration back from now (24h)")
    s.add_argument("--until", default="", metavar="WHEN", help="until (exclusive), same forms")
    s.add_argument("--text", default="", help="text the message contains")
    s.add_argument("--severity", choices=SEVERITIES, default="", help="this severity or worse")
    s.add_argument("--event", default="", help="catalog event: login_failed, config_saved, log_cleared, "
                   "sudo, login, account_created, account_deleted")
    s.add_argument("--limit", type=int, default=100, help="most messages printed (default 100)")
    s.add_argument("--json", action="store_true", help="one JSON object per line")
    s.set_defaults(handler=search)


def verify(args: argparse.Namespace) -> int:
    """Print each day's verdict; exit 1 if any day is broken."""
    from monitor.report import period
    from monitor.store import evidence_check
    db = _open(args)
    if db is None:
        return EXIT_USAGE
    zone = period.zone(args.settings.report.timezone)
    try:
        since = _day(args.since, zone) if args.since else ""
    except ValueError as err:
        print(f"logs verify: --since: {err}", file=sys.stderr)
        return EXIT_USAGE
    with contextlib.closing(db):
        days = evidence_check.verify(db, args.path, since=since)
    broken = [d for d in days if d.problem]
    if args.json:
        print(json.dumps({"days": [asdict(d) for d in days], "broken": [d.day for d in broken]},
                         ensure_ascii=False))
    else:
        for d in days:
            verdict = f"BROKEN: {d.problem}" if d.problem else "ok"
            print(f"{d.day}  {d.count:>8} message(s)  {d.digest[:16] or '(open)':16}  {verdict}")
        print(f"{len(days)} day(s) checked, {len(broken)} broken" if days else "no stored messages")
    return EXIT_VIOLATIONS if broken else EXIT_OK


def search(args: argparse.Namespace) -> int:
    """Print the messages that match."""
    from monitor.report import period
    from monitor.store import evidence_check
    db = _open(args)
    if db is None:
        return EXIT_USAGE
    zone = period.zone(args.settings.report.timezone)
    try:
        since = _when(args.since, zone) if args.since else None
        until = _when(args.until, zone) if args.until else None
    except ValueError as err:
        print(f"logs search: {err}", file=sys.stderr)
        return EXIT_USAGE
    with contextlib.closing(db):
        for found in evidence_check.search(db, device=args.device, since=since, until=until, text=args.text,
                                           severity=args.severity, event=args.event, limit=args.limit,
                                           zone=zone):
            if args.json:
                print(json.dumps(asdict(found), ensure_ascii=False))
            else:
                when = dt.datetime.fromtimestamp(found.received, zone).strftime("%Y-%m-%d %H:%M:%S")
                mark = f" [{found.event}]" if found.event else ""
                print(f"{when}  {found.device}  {found.severity:7}{mark}  {found.text}")
    return EXIT_OK


def _open(args: argparse.Namespace) -> sqlite3.Connection | None:
    from monitor import wiring
    from monitor.store.evidence import connect
    settings, _ = load(args.config)
    args.settings = settings
    args.path = wiring.evidence_path(settings)
    if not args.path.exists():
        print(f"logs: no syslog evidence store at {args.path} (is [syslog] enabled?)", file=sys.stderr)
        return None
    return connect(args.path, readonly=True)


def _when(text: str, zone: dt.tzinfo) -> float:
    """Seconds since the epoch of a date/time in ``zone``, or of a duration back from now."""
    from monitor.core.durations import parse_duration
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"):
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=zone).timestamp()
    try:
        return time.time() - parse_duration(text)
    except ValueError:
        raise ValueError(f"{text!r} is neither YYYY-MM-DD[ HH:MM[:SS]] nor a duration (24h, 7d)") from None


def _day(text: str, zone: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(_when(text, zone), zone).strftime("%Y-%m-%d")
