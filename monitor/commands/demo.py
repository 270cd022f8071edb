"""``roomwatch demo``: a simulated machine room on loopback, a scripted incident, the records."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from monitor.commands.common import EXIT_OK, EXIT_USAGE

INSTALL = "pip install 'roomwatch[demo]' (from a clone: scripts/run --demo)"


def register(sub: Any) -> None:
    """Add the ``demo`` parser."""
    p = sub.add_parser(
        "demo", help="Play a demo machine room on loopback (simulated devices, an incident, the records).",
        description="Starts simulated devices on 127.0.0.11–16 from bundled recordings (core and access "
        "switch, firewall, three-phase UPS, rack PDU over SNMP; a temperature-humidity sensor over "
        "Modbus-TCP), a local notification sink that prints each message as a phone shows it, and "
        "roomwatch with a demo config; plays temperature to 29 °C and back, the core switch's configuration "
        "saved outside the maintenance window (told by its own syslog), the UPS on battery and an "
        "uplink down, and as root an unregistered host's ARP (in network namespaces of its own); "
        "then writes today's inspection record and this week's report (HTML, PDF) and "
        f"prints their paths. Needs the demo extra: {INSTALL}.")
    p.add_argument("--duration", default="3m", help="how long the scenario plays (default 3m; at least 30s)")
    p.add_argument("--keep", action="store_true",
                   help="leave roomwatch and the devices running after the scenario, until Ctrl-C")
    p.add_argument("--dir", type=Path, default=None,
                   help="working directory for config, state and reports (default: a new temporary one)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Check the extra is there, then play the demo; exit 1 if a record or report failed."""
    from monitor.core.durations import parse_typed_duration
    from monitor.demo import agents
    from monitor.demo.run import play

    try:
        duration = parse_typed_duration(args.duration)
    except ValueError as err:
        print(f"--duration: {err}", file=sys.stderr)
        return EXIT_USAGE
    if duration < 30:
        print("--duration: at least 30s (the scenario has nine steps)", file=sys.stderr)
        return EXIT_USAGE
    lacking = agents.missing()
    if lacking:
        print(f"roomwatch demo needs {lacking}: {INSTALL}", file=sys.stderr)
        return EXIT_USAGE
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="roomwatch-demo-"))
    outcome = play(workdir=workdir, duration=duration, keep=args.keep,
                   show=lambda line: print(line, flush=True))
    return 1 if outcome.failed else EXIT_OK
