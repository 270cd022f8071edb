"""``roomwatch bindings import|export|learn``: keep the IP–MAC registry (资产台账)."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.commands.common import EXIT_OK, add_config_option, load

if TYPE_CHECKING:
    from collectors.arp.detect import Sighting
    from collectors.arp.sniff import ArpListener
    from monitor.core import bindings


def register(sub: Any) -> None:
    """Add ``bindings`` and its three sub-commands."""
    p = sub.add_parser("bindings", help="Import, export or learn the IP–MAC binding registry.")
    inner = p.add_subparsers(title="bindings commands", metavar="ACTION", required=True)
    imp = inner.add_parser("import", help="Validate a CSV and make it the registry ([bindings] file).",
                           description="Every bad row is reported with its line; nothing is written "
                           "unless the whole file is good. The previous registry is kept as FILE.bak.")
    add_config_option(imp)
    imp.add_argument("file", type=Path, help="CSV: ip,mac,hostname,owner,department,vlan,switch,port,note")
    imp.add_argument("--check", action="store_true", help="only validate, write nothing")
    imp.set_defaults(handler=run_import)
    exp = inner.add_parser("export", help="Write the registry as CSV (UTF-8 with BOM, for Excel).")
    add_config_option(exp)
    exp.add_argument("--out", type=Path, help="file to write (default: standard output)")
    exp.add_argument("--no-bom", action="store_true", help="plain UTF-8 without a byte-order mark")
    exp.set_defaults(handler=run_export)
    learn = inner.add_parser("learn", help="Listen and write what was seen as a draft for review.",
                             description="Sniffs ARP and writes every IP–MAC pair seen, marked against "
                             "the registry, to a draft CSV. It never changes the registry: a person "
                             "reviews the draft and imports it.")
    add_config_option(learn)
    learn.add_argument("--for", dest="duration", default="24h", help="how long to listen (e.g. 30m, 24h)")
    learn.add_argument("--out", type=Path, required=True, help="the draft CSV to write")
    learn.add_argument("--interface", "-i", action="append", help="interface (default: [arp] interfaces)")
    learn.set_defaults(handler=run_learn)


def run_import(args: argparse.Namespace) -> int:
    """Validate FILE; when good, write it normalised to ``[bindings] file``."""
    from monitor.core import bindings
    from monitor.core.errors import ConfigError
    settings, _ = load(args.config)
    try:
        data = args.file.read_bytes()
    except OSError as err:
        raise ConfigError([f"{args.file}: cannot read: {err.strerror}"]) from None
    rows, problems = bindings.parse_csv(data, str(args.file), settings.bindings.subnets)
    if problems:
        raise ConfigError([*problems, f"{args.file}: {len(problems)} problem(s); nothing imported"])
    target = settings.bindings.file
    if args.check or target is None:
        hint = "" if args.check else " (set [bindings] file to import it)"
        print(f"{args.file}: {len(rows)} binding(s), all valid{hint}")
        return EXIT_OK
    bindings.save(target, rows)
    print(f"imported {len(rows)} binding(s) into {target}")
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    """Print or write the current registry."""
    from monitor import wiring
    from monitor.core import bindings
    settings, _ = load(args.config)
    registry = wiring.load_registry(settings)
    data = bindings.to_csv(registry.bindings, bom=not args.no_bom)
    if args.out:
        args.out.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def run_learn(args: argparse.Namespace) -> int:
    """Sniff for ``--for`` and write a draft; Ctrl-C writes what was seen so far."""
    import asyncio

    from collectors.arp import ArpOptions
    from collectors.arp.sniff import ArpListener
    from monitor import wiring
    from monitor.core import bindings, logs
    from monitor.core.durations import parse_typed_duration
    from monitor.core.errors import ConfigError
    from monitor.core.host import local_name
    logs.setup("warning")
    settings, _ = load(args.config)
    try:
        seconds = parse_typed_duration(args.duration)
    except ValueError as err:
        raise ConfigError([f"--for: {err}"]) from None
    registry = wiring.load_registry(settings) if settings.bindings.file else bindings.Registry()
    if settings.bindings.file and args.out.resolve() == settings.bindings.file.resolve():
        raise ConfigError([f"{args.out}: is the registry itself; learn writes a draft for review"])
    options = (settings.arp or ArpOptions()).model_copy()
    options.interfaces = args.interface or options.interfaces
    if not options.interfaces:
        raise ConfigError(["arp.interfaces: no interface to listen on (give --interface)"])
    listener = ArpListener(options, registry, device=local_name())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_listen(listener, seconds))
    sightings = [s for s in listener.detector.sightings() if s.ip != "0.0.0.0"]
    args.out.write_bytes(bindings.to_csv(draft(sightings, registry)))
    print(f"{args.out}: {len(sightings)} IP–MAC pair(s) seen in {listener.frames} ARP frame(s); "
          "a draft: review it, then `roomwatch bindings import`")
    return EXIT_OK


def draft(sightings: list[Sighting], registry: bindings.Registry) -> list[bindings.Binding]:
    """Rows for a person to review: registry details filled in, each note says what it was."""
    from monitor.core import bindings
    out = []
    for s in sorted(sightings, key=lambda s: (tuple(int(p) for p in s.ip.split(".")), s.mac)):
        by_mac, by_ip = registry.by_mac(s.mac), registry.by_ip(s.ip)
        if by_mac is not None and by_mac.ip == s.ip:
            status = "registered"
        elif by_ip is not None:
            status = f"IP bound to {by_ip.mac}"
        elif by_mac is not None:
            status = f"MAC bound to {by_mac.ip}"
        else:
            status = "NEW"
        known = by_mac or by_ip
        seen = f"{_clock(s.first)}–{_clock(s.last)}"
        out.append(bindings.Binding(
            ip=s.ip, mac=s.mac, vlan=s.vlan or (known.vlan if known else None),
            hostname=known.hostname if known else "", owner=known.owner if known else "",
            department=known.department if known else "", switch=s.switch, port=s.port,
            note=f"草稿/draft: {status}; seen {s.count}x {seen}"))
    return out


async def _listen(listener: ArpListener, seconds: float) -> None:
    import asyncio
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(lambda readings: None, stop))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(task), timeout=seconds)
    stop.set()
    await task


def _clock(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
