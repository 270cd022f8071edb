"""``roomwatch server baseline approve|show DEVICE``: the approved software baseline of a server."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from collectors.posture import build as build_posture
from collectors.posture import options_of
from collectors.posture.collector import PostureCollector
from collectors.posture.software import Inventories, diff
from collectors.ssh.session import HostKeyRefused
from monitor import config as config_mod
from monitor import jobs
from monitor.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VIOLATIONS,
    add_config_option,
    command_group,
    load,
)
from monitor.core.errors import CollectError

EXIT_REFUSED = 3


def register(sub: Any) -> None:
    """Add ``server`` with ``baseline approve`` and ``baseline show``."""
    inner = command_group(sub, "server", help="Server posture: the approved software baseline.",
                          description="Server security posture helpers.")
    base = inner.add_parser("baseline", help="Approve or show a server's software baseline.",
                            description="The packages a person approved for a server "
                            "(《学校网络中心管理制度》第五条: no unrelated software on servers). "
                            "New or removed packages alert.")
    actions = base.add_subparsers(title="baseline commands", metavar="ACTION")
    approve = actions.add_parser(
        "approve", help="Read the server's packages now and record them as its approved baseline.",
        description="Read the installed packages (one read-only session) and record them as the "
        "approved baseline in STATE_DIR/posture/. --last approves the inventory the daemon read last "
        "instead (when the server cannot be reached now).")
    show = actions.add_parser("show", help="List packages added or removed since the baseline.",
                              description="Compare the last inventory the daemon read with the baseline. "
                              "Exit 1 when they differ.")
    for parser in (approve, show):
        add_config_option(parser)
        parser.add_argument("device", help="server name from the inventory")
    approve.add_argument("--last", action="store_true", help="approve the last inventory read")
    approve.set_defaults(handler=run_approve)
    show.set_defaults(handler=run_show)
    base.set_defaults(handler=lambda _args: (base.print_help(), EXIT_USAGE)[1])


def _device(args: argparse.Namespace) -> tuple[config_mod.Settings, Any, Inventories] | None:
    settings, where = load(args.config)
    servers = {d.name: d for d in settings.devices if options_of(d) is not None}
    dev = servers.get(args.device)
    if dev is None:
        print(f"{where}: no server named {args.device!r} with posture checks"
              + (f" (servers: {', '.join(sorted(servers))})" if servers else ""), file=sys.stderr)
        return None
    state, _ = config_mod.state_dir(settings)
    return settings, dev, Inventories(state)


def run_approve(args: argparse.Namespace) -> int:
    """Read (or take the last) inventory and make it the baseline. Exit 0, 2 usage, 3 unreadable."""
    found = _device(args)
    if found is None:
        return EXIT_USAGE
    settings, dev, store = found
    now = time.time()
    if args.last:
        try:
            path, count, at = store.approve(dev.name, now)
        except FileNotFoundError:
            print(f"{dev.name}: no inventory read yet; run without --last", file=sys.stderr)
            return EXIT_REFUSED
        read_at = time.strftime("%Y-%m-%d %H:%M", time.localtime(at))
        print(f"{dev.name}: approved {count} packages read at {read_at} → {path}")
        return EXIT_OK
    options = options_of(dev)
    assert options is not None
    collector = build_posture(dev, options, jobs.shared_of(settings))
    assert isinstance(collector, PostureCollector)
    try:
        packages = asyncio.run(collector.read_inventory())
    except (CollectError, HostKeyRefused, ValueError) as err:
        print(f"{dev.name}: cannot read the package inventory: {err}", file=sys.stderr)
        return EXIT_REFUSED
    if packages is None:
        print(f"{dev.name}: no package tool (dpkg-query / rpm / Uninstall registry) answered",
              file=sys.stderr)
        return EXIT_REFUSED
    store.write(dev.name, "inventory", now, packages)
    path, count, _ = store.approve(dev.name, now)
    print(f"{dev.name}: approved {count} packages → {path}")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    """Print added/removed packages; exit 0 same, 1 differs, 2 usage, 3 nothing to compare."""
    found = _device(args)
    if found is None:
        return EXIT_USAGE
    _, dev, store = found
    base, current = store.read(dev.name, "baseline"), store.read(dev.name, "inventory")
    if base is None or current is None:
        print(f"{dev.name}: no {'baseline' if base is None else 'inventory'} yet "
              f"(roomwatch server baseline approve {dev.name})", file=sys.stderr)
        return EXIT_REFUSED
    change = diff(base[1], current[1])
    for name, version in sorted(change.added.items()):
        print(f"+ {name} {version}")
    for name, version in sorted(change.removed.items()):
        print(f"- {name} {version}")
    return EXIT_VIOLATIONS if change.added or change.removed else EXIT_OK
