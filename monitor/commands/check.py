"""``roomwatch check``: one inspection pass now, as a table or JSON."""

from __future__ import annotations

import argparse
from typing import Any

from monitor.commands.common import EXIT_OK, EXIT_VIOLATIONS, add_config_option, load


def register(sub: Any) -> None:
    """Add the ``check`` parser."""
    p = sub.add_parser("check", help="One inspection pass now; exit 1 if any rule is broken.",
                       description="Collect every device once and judge every rule now "
                       "(`for` durations ignored). Exit 1 when there are violations.")
    add_config_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="table language")
    p.add_argument("--arp-window", type=float, default=10.0, metavar="SECONDS",
                   help="with [arp] configured, listen this long and report ARP violations (default 10)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Collect, judge, print."""
    import asyncio

    from monitor import check, wiring
    from monitor.core import logs
    from rules.engine import Engine
    logs.setup("warning")
    settings, where = load(args.config)
    logs.setup("warning", wiring.secrets_of(settings))
    engine = Engine(wiring.build_rules(settings, where), stale_after=wiring.stale_after(settings))
    listeners = wiring.build_listeners(settings) if args.arp_window > 0 else []
    result = asyncio.run(check.run_check(wiring.build_jobs(settings), engine, listeners=listeners,
                                         listen=args.arp_window))
    print(check.to_json(result) if args.json else check.to_table(result, args.lang))
    return EXIT_VIOLATIONS if result.violations else EXIT_OK
