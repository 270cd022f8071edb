"""Which notification becomes which reading: ``catalog.toml``, loaded once, applied by a pure function."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from monitor.core.model import Reading

TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"          # snmpTrapOID.0
TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"       # snmpTrapAddress.0: a v1 trap's agent-addr
TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"     # snmpTrapCommunity.0: a v1 trap's community, a secret
IF_INDEX = "1.3.6.1.2.1.2.2.1.1."
IF_DESCR = "1.3.6.1.2.1.2.2.1.2."
IF_TABLE = "1.3.6.1.2.1.2.2.1."
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1."
UPS_ALARM_DESCR = "1.3.6.1.2.1.33.1.6.2.1.2."
DEFAULT = Path(__file__).with_name("catalog.toml")

Varbinds = Mapping[str, "str | int"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrapKind:
    """One known notification: the reading it makes (none when ``metric`` is empty)."""

    name: str
    metric: str = ""
    value: float = 0.0
    ifname: bool = False
    alarm: int | None = None


@dataclass(frozen=True, slots=True)
class Alarm:
    """An RFC 1628 well-known alarm; without a metric of its own it is ``ups_alarm{alarm}``."""

    name: str
    metric: str = ""


@dataclass(frozen=True)
class Catalog:
    """Known notifications by snmpTrapOID and UPS alarms by upsAlarmDescr."""

    traps: Mapping[str, TrapKind]
    alarms: Mapping[str, Alarm]

    def readings(self, trap_oid: str, varbinds: Varbinds, labels: Mapping[str, str],
                 now: float) -> list[Reading] | None:
        """The readings one notification makes; None when it is not in the catalog."""
        kind = self.traps.get(trap_oid)
        if kind is None:
            return None
        if kind.alarm is not None:
            return self._alarm(kind.alarm, varbinds, labels, now)
        if not kind.metric:
            return []
        extra = {"ifname": interface_name(varbinds)} if kind.ifname else {}
        return [Reading(kind.metric, float(kind.value), {**extra, **labels}, now)]  # TOML may say 1

    def _alarm(self, present: int, varbinds: Varbinds, labels: Mapping[str, str],
               now: float) -> list[Reading]:
        descr = next((str(v) for k, v in varbinds.items() if k.startswith(UPS_ALARM_DESCR)), "")
        if not descr:
            return []
        alarm = self.alarms.get(descr)
        if alarm is not None and alarm.metric:
            return [Reading(alarm.metric, float(present), dict(labels), now)]
        name = alarm.name if alarm is not None else descr  # a vendor's own alarm: its OID names it
        return [Reading("ups_alarm", float(present), {"alarm": name, **labels}, now)]


def interface_name(varbinds: Varbinds) -> str:
    """ifName, else ifDescr, else ``if<ifIndex>`` — what the SNMP poller calls the interface."""
    for prefix in (IF_NAME, IF_DESCR):
        for oid, value in varbinds.items():
            if oid.startswith(prefix) and str(value):
                return str(value)
    for oid, value in varbinds.items():
        if oid.startswith(IF_INDEX):
            return f"if{value}"
    for oid in varbinds:  # ifAdminStatus.N / ifOperStatus.N: the index is the OID's last arc
        if oid.startswith(IF_TABLE):
            return f"if{oid.rsplit('.', 1)[1]}"
    return "if?"


def load(path: Path = DEFAULT) -> Catalog:
    """The catalog in ``path``; ValueError names the entry that is wrong."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    traps: dict[str, TrapKind] = {}
    for oid, entry in data.get("traps", {}).items():
        try:
            traps[_oid(oid)] = TrapKind(**entry)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{path.name}: traps.{oid!r}: {err}") from None
    alarms: dict[str, Alarm] = {}
    for oid, entry in data.get("alarms", {}).items():
        try:
            alarms[_oid(oid)] = Alarm(**entry)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{path.name}: alarms.{oid!r}: {err}") from None
    return Catalog(traps, alarms)


def _oid(text: str) -> str:
    arcs = text.strip().lstrip(".").split(".")
    if len(arcs) < 2 or not all(a.isdigit() for a in arcs):
        raise ValueError("not a numeric OID")
    return ".".join(arcs)
