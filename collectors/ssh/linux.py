"""Linux servers over SSH: RAID, SMART, failed systemd units, file-system use, NTP state.

The parsers are the ones the local collector uses (``collectors/parsers/``); here they read
what the commands print on the far side. Commands a server lacks print nothing usable and
are left out, not errors.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from collectors.parsers import df, mdstat, ntp, smartctl, systemd
from monitor.core.model import Reading

log = logging.getLogger(__name__)

# Bounded number of disks asked for SMART data in one collection.
_MAX_DISKS = 32


def commands(*, mdstat_path: str, sudo: bool) -> list[str]:
    """The first round of commands (the SMART scan decides the second round)."""
    prefix = "sudo -n " if sudo else ""
    return [
        f"cat {mdstat_path} 2>/dev/null",
        "df -P -T 2>/dev/null",
        # The exit status tells "no failed units" (0) from "no systemd here" (not 0).
        "systemctl list-units --state=failed --no-legend --plain 2>/dev/null; echo rc=$?",
        "timedatectl show 2>/dev/null",
        "chronyc -c tracking 2>/dev/null",
        f"{prefix}smartctl --scan -j 2>/dev/null",
    ]


def smart_commands(scan_output: str | None, *, sudo: bool) -> list[str]:
    """One ``smartctl -j -H -A`` per disk the scan found."""
    prefix = "sudo -n " if sudo else ""
    disks = smartctl.scan(scan_output or "")[:_MAX_DISKS]
    return [f"{prefix}smartctl -j -H -A {_quote(d)} 2>/dev/null" for d in disks]


def readings(
    out: Mapping[str, str | None],
    now: float,
    *,
    mdstat_path: str,
    sudo: bool,
    ignore_fstypes: Sequence[str],
) -> list[Reading]:
    """Readings from the outputs of ``commands`` and ``smart_commands``."""
    result: list[Reading] = []

    def add(metric: str, value: float, **labels: str) -> None:
        result.append(Reading(metric, float(value), labels, now))

    cmds = commands(mdstat_path=mdstat_path, sudo=sudo)
    text = out.get(cmds[0]) or ""
    for array in mdstat.parse(text):
        add("raid_degraded", 1.0 if array.degraded else 0.0, array=array.name)
    for mount in df.parse(out.get(cmds[1]) or ""):
        if mount.fstype not in ignore_fstypes:
            add("disk_used_percent", mount.used_percent, mount=mount.mount)
    failed_text = out.get(cmds[2]) or ""
    if failed_text.rstrip().endswith("rc=0"):
        units = systemd.failed_units(failed_text.rstrip().removesuffix("rc=0"))
        add("systemd_failed_units", len(units))
        for unit in units:
            add("systemd_unit_failed", 1.0, unit=unit)
    synced = ntp.timedatectl_synced(out.get(cmds[3]) or "")
    chrony = out.get(cmds[4]) or ""
    if synced is None:
        synced = ntp.chrony_synced(chrony)
    if synced is not None:
        add("ntp_synced", 1.0 if synced else 0.0)
    offset = ntp.chrony_offset_seconds(chrony)
    if offset is not None:
        add("ntp_offset_seconds", offset)
    for command in smart_commands(out.get(cmds[5]), sudo=sudo):
        disk = smartctl.parse(out.get(command) or "")
        if disk is None:
            continue
        if disk.healthy is not None:
            add("smart_healthy", 1.0 if disk.healthy else 0.0, disk=disk.name)
        if disk.temperature_celsius is not None:
            add("temperature_celsius", disk.temperature_celsius, sensor=f"disk:{disk.name}")
        if disk.power_on_hours is not None:
            add("disk_power_on_hours", disk.power_on_hours, disk=disk.name)
    return result


def _quote(path: str) -> str:
    # Disk paths come from the server's own smartctl; keep them to a safe alphabet anyway.
    return "".join(ch for ch in path if ch.isalnum() or ch in "/_-.,:")
