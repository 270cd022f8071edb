"""IF-MIB: interface state and traffic rates from counters, wrap- and reset-safe.

A rate needs two samples of a counter. 64-bit ifHC counters are preferred; 32-bit ones are
the fallback. A counter that went backwards is a 32-bit wrap only if the wrapped delta is a
plausible rate for the port; otherwise (a reboot, a cleared counter, a 64-bit counter going
back) there is no rate this time, never a spike. Samples further apart than ``max_gap`` give
no rate either: across a long gap a 32-bit counter may have wrapped more than once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from collectors.snmp.client import Table
from monitor.core.model import Reading

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_SPEED = "1.3.6.1.2.1.2.2.1.5"
IF_ADMIN = "1.3.6.1.2.1.2.2.1.7"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"
IF_IN_ERRORS = "1.3.6.1.2.1.2.2.1.14"
IF_OUT_OCTETS = "1.3.6.1.2.1.2.2.1.16"
IF_OUT_ERRORS = "1.3.6.1.2.1.2.2.1.20"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT = "1.3.6.1.2.1.31.1.1.1.10"
IF_HIGH_SPEED = "1.3.6.1.2.1.31.1.1.1.15"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"  # walked only for devices with interface_roles

COLUMNS: tuple[str, ...] = (IF_DESCR, IF_SPEED, IF_ADMIN, IF_OPER, IF_IN_OCTETS, IF_IN_ERRORS, IF_OUT_OCTETS,
                            IF_OUT_ERRORS, IF_NAME, IF_HC_IN, IF_HC_OUT, IF_HIGH_SPEED)

_WRAP32 = 2**32
# A wrapped 32-bit delta is believed only up to this much over the port speed.
_PLAUSIBLE = 1.05


@dataclass
class _Sample:
    value: float
    ts: float
    bits: int


@dataclass
class RateState:
    """The previous counter samples of one device; kept by its collector between polls."""

    max_gap: float = 900.0
    uptime: float | None = None
    samples: dict[tuple[str, str], _Sample] = field(default_factory=dict)

    def restarted(self, uptime: float | None) -> None:
        """Forget all samples if sysUpTime went backwards (the device rebooted)."""
        if uptime is not None and self.uptime is not None and uptime < self.uptime:
            self.samples.clear()
        self.uptime = uptime

    def rate(self, key: tuple[str, str], value: float, bits: int, now: float,
             max_per_s: float | None = None) -> float | None:
        """Per-second increase since the previous sample, or None when there is no honest one."""
        prev = self.samples.get(key)
        self.samples[key] = _Sample(value, now, bits)
        if prev is None or prev.bits != bits:
            return None
        dt = now - prev.ts
        if dt <= 0 or dt > self.max_gap:
            return None
        delta = value - prev.value
        if delta < 0:
            if bits != 32 or max_per_s is None:
                return None
            delta += _WRAP32
            if delta / dt > max_per_s * _PLAUSIBLE:
                return None
        return delta / dt


def readings(table: Table, state: RateState, now: float,
             contracted_mbps: Mapping[str, float] | None = None,
             roles: Mapping[str, str] | None = None) -> list[Reading]:
    """Interface readings from one walk of ``COLUMNS``; rates need the previous walk's samples.

    ``roles`` maps an ifName, ifDescr or ifAlias to a ``role`` label for that interface's
    readings (walk ``IF_ALIAS`` too to match aliases); other interfaces get no role label.
    """
    contracted = contracted_mbps or {}
    out: list[Reading] = []
    names = table.get(IF_NAME, {})
    descrs = table.get(IF_DESCR, {})
    indexes = sorted(set(descrs) | set(names) | set(table.get(IF_OPER, {})), key=_int)
    for index in indexes:
        name = (names[index].text() if index in names else "") or (
            descrs[index].text() if index in descrs else "") or f"if{index}"
        labels = {"ifname": name}
        if roles:
            role = _role(table, index, name, roles)
            if role:
                labels["role"] = role
        admin = _num(table, IF_ADMIN, index)
        oper = _num(table, IF_OPER, index)
        if admin == 2:  # administratively down: neither up nor a fault
            continue
        if oper is not None:
            out.append(Reading("if_oper_up", 1.0 if oper == 1 else 0.0, labels, now))
        speed = _speed(table, index, contracted.get(name))
        max_bytes = speed / 8 if speed else None
        rates = {}
        for direction, hc, low in (("in", IF_HC_IN, IF_IN_OCTETS), ("out", IF_HC_OUT, IF_OUT_OCTETS)):
            counter, bits = _num(table, hc, index), 64
            if counter is None:
                counter, bits = _num(table, low, index), 32
            if counter is None:
                continue
            per_s = state.rate((index, direction), counter, bits, now, max_bytes)
            if per_s is not None:
                rates[direction] = per_s * 8
                out.append(Reading(f"if_{direction}_bps", round(per_s * 8, 3), labels, now))
        if speed and rates:
            util = round(max(rates.values()) / speed * 100, 3)
            out.append(Reading("if_utilization_percent", util, labels, now))
        for direction, col in (("in", IF_IN_ERRORS), ("out", IF_OUT_ERRORS)):
            errors = _num(table, col, index)
            if errors is not None:
                per_s = state.rate((index, f"{direction}_errors"), errors, 32, now)
                if per_s is not None:
                    out.append(Reading(f"if_{direction}_errors_per_second", round(per_s, 6), labels, now))
    return out


def _role(table: Table, index: str, name: str, roles: Mapping[str, str]) -> str | None:
    for candidate in (name, _text(table, IF_DESCR, index), _text(table, IF_ALIAS, index)):
        if candidate and candidate in roles:
            return roles[candidate]
    return None


def matched_names(table: Table) -> set[str]:
    """Every ifName, ifDescr and ifAlias of the walk: what ``roles`` keys can match."""
    return {v.text() for col in (IF_NAME, IF_DESCR, IF_ALIAS) for v in table.get(col, {}).values()}


def _text(table: Table, column: str, index: str) -> str:
    var = table.get(column, {}).get(index)
    return var.text() if var is not None else ""


def _speed(table: Table, index: str, contracted: float | None) -> float | None:
    """Bits per second the port can carry: the contract, else ifHighSpeed, else ifSpeed."""
    if contracted:
        return contracted * 1e6
    high = _num(table, IF_HIGH_SPEED, index)
    if high:
        return high * 1e6
    low = _num(table, IF_SPEED, index)
    if low and low < _WRAP32 - 1:
        return low
    return None


def _num(table: Table, column: str, index: str) -> float | None:
    var = table.get(column, {}).get(index)
    return var.number() if var is not None else None


def _int(index: str) -> tuple[int, ...]:
    return tuple(int(p) for p in index.split(".") if p.isdigit())
