"""``roomwatch silence add|list|expire``: one-off mutes, kept in the state directory."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from monitor.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VIOLATIONS,
    add_config_option,
    command_group,
    load,
    looked_in,
)

if TYPE_CHECKING:
    from alerts.db import Database


def register(sub: Any) -> None:
    """Add ``silence`` with ``add``, ``list`` and ``expire``."""
    inner = command_group(sub, "silence", help="Mute alerts for a while (maintenance, known faults).",
                       description="Mute alerts matching labels for a while. Muted alerts are still "
                       "evaluated and stored; resolves of alerts already paged are still sent.")
    add = inner.add_parser("add", help="Add a silence.", description="Add a silence, e.g. "
                           "`roomwatch silence add device=core-sw-1 --for 2h --comment 割接`.")
    add.add_argument("matchers", nargs="+", help="label=value, label!=value, label=~regex, label!~regex")
    add.add_argument("--for", dest="duration", default="1h", help="how long (default 1h)")
    add.add_argument("--comment", "-m", required=True, help="why (shown to colleagues)")
    add.add_argument("--by", default=getpass.getuser(), help="who (default: your login)")
    add_config_option(add)
    add.set_defaults(handler=run_add)
    ls = inner.add_parser("list", help="List silences.", description="List running silences.")
    ls.add_argument("--all", action="store_true", help="include expired ones")
    ls.add_argument("--json", action="store_true", help="print JSON")
    add_config_option(ls)
    ls.set_defaults(handler=run_list)
    ex = inner.add_parser("expire", help="End a silence now.", description="End a silence now.")
    ex.add_argument("id", type=int, help="silence id (from `silence list`)")
    add_config_option(ex)
    ex.set_defaults(handler=run_expire)


def open_db(args: argparse.Namespace) -> tuple[Database, str]:
    """The pipeline database in the configured state directory, and where that is (for
    answers that found nothing)."""
    from alerts.db import Database
    from monitor import config as config_mod
    settings, _ = load(args.config)
    state, _why = config_mod.state_dir(settings)
    return Database(state / "alerts.db"), looked_in(args.config, settings)


def run_add(args: argparse.Namespace) -> int:
    """Store a silence and print its id."""
    from alerts.matchers import alert_labels
    from alerts.silence import Silences
    from alerts.state import State
    from monitor.core.durations import format_duration, parse_typed_duration
    from monitor.core.matchers import all_match, parse_matchers
    try:
        seconds = parse_typed_duration(args.duration)
    except ValueError as err:
        print(f"--for: {err}", file=sys.stderr)
        return EXIT_USAGE
    now = time.time()
    db, where = open_db(args)
    try:
        matchers = parse_matchers(args.matchers)
        sid = Silences(db).add(args.matchers, starts=now, ends=now + seconds,
                               comment=args.comment, created_by=args.by, now=now)
    except ValueError as err:
        print(f"silence: {err}")
        return EXIT_USAGE
    print(f"silence {sid} added: {' '.join(args.matchers)} for {format_duration(seconds)}")
    if not any(all_match(matchers, alert_labels(a)) for a in State(db).alerts.values()):
        # Fine before a planned change; after a typo it would mute nothing, so say where we looked.
        print(f"note: no current alert matches it (looked in {where})")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    """Print silences as a table or JSON."""
    from alerts.silence import Silences
    from monitor.core.durations import format_duration
    now = time.time()
    db, where = open_db(args)
    rows = Silences(db).all(now, include_expired=args.all)
    if args.json:
        print(json.dumps([{"id": s.id, "matchers": [str(m) for m in s.matchers], "starts": s.starts,
                           "ends": s.ends, "comment": s.comment, "by": s.created_by,
                           "active": s.active(now)} for s in rows], ensure_ascii=False))
        return EXIT_OK
    for s in rows:
        left = f"{format_duration(s.ends - now)} left" if s.active(now) else "expired"
        print(f"{s.id:>4}  {' '.join(map(str, s.matchers)):<40} {left:<12} {s.created_by}: {s.comment}")
    if not rows:
        print(f"no silences (looked in {where})")
    return EXIT_OK


def run_expire(args: argparse.Namespace) -> int:
    """End one silence now."""
    from alerts.silence import Silences
    db, where = open_db(args)
    if Silences(db).expire(args.id, time.time()):
        print(f"silence {args.id} expired")
        return EXIT_OK
    print(f"no running silence {args.id} (looked in {where})")
    return EXIT_VIOLATIONS
