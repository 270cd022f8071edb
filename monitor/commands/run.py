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
    import asyncio

    from monitor import config as config_mod
    from monitor import daemon, wiring
    from monitor.core import logs
    logs.setup("info")
    settings, chosen = wiring.load_checked(args.config)
    where = chosen.name if chosen else "defaults"
    redact = daemon.setup_logging(settings)
    source = args.config or (config_mod.DEFAULT_PATH if config_mod.DEFAULT_PATH.exists()
                             else "none (monitoring this host only)")
    log.info("config=%s", source)
    parts = wiring.build(settings, where)
    return asyncio.run(daemon.Daemon(settings, parts, config_path=args.config, redact=redact).run())
