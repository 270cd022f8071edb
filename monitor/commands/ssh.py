"""``roomwatch ssh trust DEVICE``: show a device's SSH host key fingerprint and record it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from collectors.ssh import hostkeys
from collectors.ssh.collector import SshShared
from collectors.ssh.options import SshOptions, SshSettings
from monitor import config as config_mod
from monitor.commands.common import EXIT_OK, EXIT_USAGE, add_config_option, command_group, load

EXIT_REFUSED = 3


def register(sub: Any) -> None:
    """Add ``ssh`` with its ``trust`` sub-command."""
    inner = command_group(sub, "ssh", help="SSH transport: trust host keys.",
                         description="SSH transport helpers.")
    trust = inner.add_parser(
        "trust", help="Record a device's SSH host key after a person confirms it.",
        description="Fetch the device's SSH host key, show its SHA256 fingerprint (compare it with "
        "`display ssh server-info` / `show ip ssh` / `ssh-keygen -lf` on the device) and record it "
        "in roomwatch's known_hosts. --fingerprint makes it non-interactive and refuses a mismatch.")
    add_config_option(trust)
    trust.add_argument("device", help="device name from the inventory")
    trust.add_argument("--fingerprint", help="expected SHA256:… fingerprint (non-interactive)")
    trust.set_defaults(handler=run_trust)


def run_trust(args: argparse.Namespace) -> int:
    """Fetch, show, confirm, record. Exit 0 recorded, 2 usage, 3 refused."""
    settings, where = load(args.config)
    devices = {d.name: d for d in settings.devices if "ssh" in d.tables()}
    dev = devices.get(args.device)
    options = dev.tables()["ssh"] if dev is not None else None
    if dev is None or not isinstance(options, SshOptions):
        print(f"{where}: no device named {args.device!r} with an ssh sub-table"
              + (f" (ssh devices: {', '.join(sorted(devices))})" if devices else ""), file=sys.stderr)
        return EXIT_USAGE
    state, _ = config_mod.state_dir(settings)
    known_hosts = settings.section("ssh", SshSettings).known_hosts
    shared = SshShared.create(state, settings.maintenance, known_hosts=known_hosts)
    port = options.port or dev.port or 22
    try:
        key = hostkeys.fetch_key(dev.address, port, options.connect_timeout)
    except (OSError, EOFError, Exception) as err:  # paramiko raises SSHException and friends
        print(f"ssh {dev.name}: cannot read the host key of {dev.address}:{port}: "
              f"{type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_REFUSED
    offered = hostkeys.fingerprint(key)
    old = hostkeys.known_key(shared.known_hosts, dev.address, port)
    print(f"{dev.name} {dev.address}:{port} {key.get_name()} {offered}")
    if old is not None:
        if hostkeys.fingerprint(old) == offered:
            print("already trusted; nothing to do")
            return EXIT_OK
        print(f"WARNING: the recorded key was {old.get_name()} {hostkeys.fingerprint(old)}; "
              "the device's key CHANGED. Make sure the device was really replaced or re-keyed.")
    if args.fingerprint is not None:
        if args.fingerprint.strip() != offered:
            print(f"refused: the device offers {offered}, not {args.fingerprint.strip()}",
                  file=sys.stderr)
            return EXIT_REFUSED
    else:
        if not sys.stdin.isatty():
            print("refused: not a terminal; pass --fingerprint SHA256:… to confirm", file=sys.stderr)
            return EXIT_REFUSED
        answer = input("Does this fingerprint match the device? Type yes to trust it: ")
        if answer.strip().lower() != "yes":
            print("not recorded", file=sys.stderr)
            return EXIT_REFUSED
    hostkeys.record(shared.known_hosts, dev.address, port, key)
    print(f"recorded in {shared.known_hosts}")
    return EXIT_OK
