"""``roomwatch config-history DEVICE [--diff A B] [--show N]``: saved configuration versions."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from monitor.commands.common import EXIT_OK, EXIT_USAGE, add_config_option, load


def register(sub: Any) -> None:
    """Add the ``config-history`` parser."""
    p = sub.add_parser("config-history", help="List, show or diff a device's saved configurations.",
                       description="Versions of a device's running configuration as backed up over "
                       "SSH (secrets masked), with the maintenance window each change fell in.")
    add_config_option(p)
    p.add_argument("device", help="device name")
    p.add_argument("--diff", nargs=2, type=int, metavar=("A", "B"), help="unified diff of versions A and B")
    p.add_argument("--show", type=int, metavar="N", help="print version N")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """List versions (default), print one, or diff two."""
    from collectors.ssh.configs import unified_diff
    from collectors.ssh.history import ConfigHistory
    from monitor import config as config_mod
    settings, _ = load(args.config)
    state, _ = config_mod.state_dir(settings)
    history = ConfigHistory(state / "configs.db")
    try:
        versions = {v.version: v for v in history.versions(args.device)}
        if not versions:
            print(f"no saved configuration for {args.device!r} in {history.path}", file=sys.stderr)
            return EXIT_USAGE
        wanted = [n for n in (args.diff or []) + ([args.show] if args.show else []) if n not in versions]
        if wanted:
            print(f"{args.device}: no version {wanted[0]} (have {min(versions)}…{max(versions)})",
                  file=sys.stderr)
            return EXIT_USAGE
        if args.show:
            print(versions[args.show].text, end="")
        elif args.diff:
            a, b = versions[args.diff[0]], versions[args.diff[1]]
            print(unified_diff(a.text, b.text, f"{args.device} v{a.version}", f"{args.device} v{b.version}"))
        else:
            print(f"{'version':>7}  {'saved at':19}  {'sha256':12}  window")
            for v in versions.values():
                when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(v.ts))
                window = v.window or ("-" if v.version == 1 else "(outside any window)")
                print(f"{v.version:>7}  {when}  {v.sha256[:12]}  {window}")
        return EXIT_OK
    finally:
        history.close()
