"""``roomwatch snmp probe ADDRESS``: connect once, show the profile picked and every reading."""

from __future__ import annotations

import argparse
import json
from typing import Any

from monitor.commands.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, command_group


def register(sub: Any) -> None:
    """Add ``snmp`` with its ``probe`` sub-command."""
    inner = command_group(sub, "snmp", help="SNMP transport: probe a device before adding it.",
                         description="SNMP transport helpers.")
    probe = inner.add_parser(
        "probe", help="Poll a device once and show its profile and readings.",
        description="Connect once, show sysName/sysObjectID, the profile roomwatch would use and every "
        "reading it would collect (interface rates need a second poll, so they are not shown). "
        "Secrets may be given as env:NAME or file:PATH.")
    probe.add_argument("address", help="host name or IP address")
    probe.add_argument("--port", type=int, default=161)
    probe.add_argument("--version", "-v", default="2c", choices=["1", "2c", "3"])
    probe.add_argument("--community", "-C", help="v1/v2c community (env:NAME / file:PATH allowed)")
    probe.add_argument("--user", "-u", default="", help="v3 user")
    probe.add_argument("--auth-protocol", help="v3: MD5 SHA SHA224 SHA256 SHA384 SHA512")
    probe.add_argument("--auth-key", help="v3 authentication pass phrase (env:/file: allowed)")
    probe.add_argument("--priv-protocol", help="v3: DES AES AES192 AES256")
    probe.add_argument("--priv-key", help="v3 privacy pass phrase (env:/file: allowed)")
    probe.add_argument("--context", default="")
    probe.add_argument("--profile", default="auto", help="force a profile (default: auto)")
    probe.add_argument("--timeout", default="5s")
    probe.add_argument("--retries", type=int, default=1)
    probe.add_argument("--no-bulk", action="store_true", help="GETNEXT instead of GETBULK")
    probe.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    probe.set_defaults(handler=run_probe)


def run_probe(args: argparse.Namespace) -> int:
    """Exit 0 answered, 2 bad options, 3 no answer."""
    import asyncio

    from pydantic import ValidationError

    from collectors.snmp.collector import SYS_DESCR, SYS_NAME, SYS_OBJECT_ID, SnmpCollector
    from collectors.snmp.options import SnmpOptions
    from collectors.snmp.profiles import load_profiles
    from monitor.core.errors import CollectError, ConfigError
    from monitor.core.numbers import plain
    raw = {"version": args.version, "community": args.community, "user": args.user,
           "auth_protocol": args.auth_protocol, "auth_key": args.auth_key,
           "priv_protocol": args.priv_protocol, "priv_key": args.priv_key, "context": args.context,
           "profile": args.profile,
           "timeout": args.timeout, "retries": args.retries, "bulk": not args.no_bulk}
    try:
        options = SnmpOptions.model_validate({k: v for k, v in raw.items() if v is not None})
        collector = SnmpCollector("probe", options, address=args.address, port=args.port,
                                  profiles=load_profiles())
    except ValidationError as err:
        for e in err.errors():
            print(f"snmp probe: {'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}")
        return EXIT_USAGE
    except ConfigError as err:
        print("\n".join(err.problems))
        return EXIT_USAGE
    try:
        readings = asyncio.run(collector.collect(0.0))
    except CollectError as err:
        print(f"no answer: {err}")
        return EXIT_REFUSED
    profile = collector.profile.name if collector.profile else "?"
    system = collector.system
    if args.json:
        print(json.dumps({"sys_name": system.get(SYS_NAME, ""),
                          "sys_object_id": system.get(SYS_OBJECT_ID, ""), "profile": profile,
                          "readings": [{"metric": r.metric, "labels": r.labels, "value": r.value}
                                       for r in readings]}, ensure_ascii=False))
        return EXIT_OK
    descr = " ".join(system.get(SYS_DESCR, "").split())[:100]
    print(f"sysName:     {system.get(SYS_NAME, '')}\nsysObjectID: {system.get(SYS_OBJECT_ID, '')}\n"
          f"sysDescr:    {descr}\nprofile:     {profile}\n\nreadings ({len(readings)}):")
    for r in sorted(readings, key=lambda r: (r.metric, sorted(r.labels.items()))):
        labels = ",".join(f"{k}={v}" for k, v in sorted(r.labels.items()))
        print(f"  {r.metric}{{{labels}}} {plain(r.value)}")
    return EXIT_OK
