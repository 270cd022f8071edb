"""``roomwatch ack ALERT_ID|label=value… --by NAME``: take an alert; repeats and escalation stop."""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

from monitor.commands.common import EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS, add_config_option


def register(sub: Any) -> None:
    """Add the ``ack`` parser."""
    p = sub.add_parser("ack", help="Acknowledge firing alerts: stops repeats and escalation.",
                       description="Acknowledge firing alerts by id (shown in every message) or by "
                       "label matchers; records who and when for the report.")
    p.add_argument("what", nargs="+", help="an alert id, or matchers such as device=core-sw-1")
    p.add_argument("--by", required=True, help="who takes it")
    p.add_argument("--comment", "-m", default="", help="what is being done")
    add_config_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Record an ack for every firing alert named."""
    from alerts.ack import Acks
    from alerts.matchers import alert_labels
    from alerts.state import State
    from monitor.commands.silence import open_db
    from monitor.core.matchers import all_match, parse_matchers
    from monitor.core.model import AlertState
    db, where = open_db(args)
    alerts = [a for a in State(db).alerts.values() if a.state is AlertState.FIRING]
    if len(args.what) == 1 and re.fullmatch(r"[0-9a-f]{16}", args.what[0]):
        chosen = [a for a in alerts if a.fingerprint == args.what[0]]
    else:
        try:
            matchers = parse_matchers(args.what)
        except ValueError as err:
            print(f"ack: {err}")
            return EXIT_USAGE
        chosen = [a for a in alerts if all_match(matchers, alert_labels(a))]
    if not chosen:
        print(f"ack: no firing alert matches ({len(alerts)} firing; looked in {where})")
        return EXIT_VIOLATIONS
    now = time.time()
    acks = Acks(db)
    for alert in chosen:
        acks.add(alert, by=args.by, comment=args.comment, now=now)
        print(f"acknowledged {alert.fingerprint} {alert.rule} {alert.labels.get('device', '?')} by {args.by}")
    return EXIT_OK
