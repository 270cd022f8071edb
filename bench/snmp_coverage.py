"""How many snmpsim-data network and UPS recordings get a vendor profile, and which readings each gives.

Offline: each recording is read straight from the snmpsim-data package (no agent), the profile is
picked from its sysObjectID/sysDescr as the collector picks it, and the profile is evaluated on
the recording's values. ``python bench/snmp_coverage.py [--list]`` prints the counts (and with
``--list`` one line per recording: profile and which of temperature, fan, power supply, CPU and
memory readings it gives).
"""

from __future__ import annotations

import bz2
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collectors.snmp.client import Table, Var
from collectors.snmp.profiles import GENERIC, evaluate, load_profiles, select

SYS_DESCR, SYS_OBJECT_ID = "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0"
KINDS = {"temperature": ("temperature_celsius",), "fan": ("fan_ok", "fan_rpm"),
         "psu": ("power_supply_ok",), "cpu": ("cpu_percent",), "memory": ("memory_percent",)}
# snmprec type codes -> the type names the BER decoder gives
_TYPES = {"2": "INTEGER", "4": "STRING", "6": "OID", "64": "IpAddress", "65": "Counter32",
          "66": "Gauge32", "67": "Timeticks", "70": "Counter64"}


def recordings() -> list[Path]:
    """Every network and UPS recording of the installed snmpsim-data."""
    import snmpsim_data

    root = Path(snmpsim_data.__file__).parent / "data"
    return sorted([*root.glob("network/*/*.snmprec*"), *root.glob("UPS/*.snmprec*")])


def read(path: Path) -> dict[str, Var]:
    """OID -> Var of one snmprec file (hex strings decoded; variation modules' values as given)."""
    raw = path.read_bytes()
    text = (bz2.decompress(raw) if path.suffix == ".bz2" else raw).decode("utf-8", errors="replace")
    out: dict[str, Var] = {}
    for line in text.splitlines():
        parts = line.split("|", 2)
        if len(parts) != 3:
            continue
        oid, tag, value = parts
        kind = tag.split(":")[0]
        if kind.endswith("x"):
            try:
                value = bytes.fromhex(value).decode("utf-8", errors="replace")
            except ValueError:
                continue
            kind = kind[:-1]
        out[oid] = Var(oid, _TYPES.get(kind, "STRING"), value)
    return out


def readings_of(path: Path, profiles: dict) -> tuple[str, set[str]]:  # type: ignore[type-arg]
    """The profile a recording gets and the kinds of readings it gives."""
    values = read(path)
    oid = values[SYS_OBJECT_ID].text() if SYS_OBJECT_ID in values else ""
    descr = values[SYS_DESCR].text() if SYS_DESCR in values else ""
    profile = select(profiles, oid, descr)
    table: Table = {}
    for column in profile.columns():
        prefix = column + "."
        table[column] = {o[len(prefix):]: v for o, v in values.items() if o.startswith(prefix)}
    got = {r.metric for r in evaluate(profile, values, table, 0.0)}
    return profile.name, {kind for kind, metrics in KINDS.items() if got & set(metrics)}


def main() -> None:
    profiles = load_profiles()
    rows = [(p, *readings_of(p, profiles)) for p in recordings()]
    vendor = sum(1 for _, name, _ in rows if name != GENERIC)
    if "--list" in sys.argv:
        for path, name, kinds in rows:
            print(f"{path.parent.name}/{path.name.split('.')[0]:42} {name:16} {' '.join(sorted(kinds))}")
    print(f"recordings: {len(rows)}; with a vendor profile: {vendor}")
    for kind in KINDS:
        print(f"  give {kind}: {sum(1 for _, _, kinds in rows if kind in kinds)}")


if __name__ == "__main__":
    main()
