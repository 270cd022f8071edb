"""``roomwatch run``: the daemon."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from monitor.commands.common import add_config_option

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    """Add the ``run`` parser."""
    p = sub.add_parser("run", help="Run the daemon: poll, store, judge and alert.",
                       description="Run the daemon: poll, store, judge and alert. With no config "
                       "file it monitors this host.")
    add_config_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build every part from the config and run until SIGTERM."""
    from monitor.core import logs
    from monitor.core.paths import DEFAULT_CONFIG

    logs.setup("info")
    source = args.config or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists()
                             else "none (monitoring this host only)")
    # The first line comes before the config models, the wiring and what they import: whoever
    # started the daemon (scripts/run, systemd) sees at once that it is starting and from what.
    log.info("starting: config=%s", source)
    import asyncio

    from monitor import daemon, wiring
    settings, chosen = wiring.load_checked(args.config)
    where = chosen.name if chosen else "defaults"
    redact = daemon.setup_logging(settings)
    parts = wiring.build(settings, where)
    return asyncio.run(daemon.Daemon(settings, parts, config_path=args.config, redact=redact).run())
