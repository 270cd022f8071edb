"""Windows servers: the parsers of each check (and of the server's own readings) from the one
``ConvertTo-Json`` object of windows_script, in the fields Microsoft documents for those cmdlets."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from collectors.posture import egress, logs
from collectors.posture.options import PostureOptions
from collectors.posture.outcome import Builder, Outcome, unavailable
from monitor.core.model import Reading

DAY = 86400.0

def parse(text: str) -> dict[str, Any]:
    """The JSON object; ValueError when the server printed something else."""
    start = text.find("{")
    doc = json.loads(text[start:]) if start >= 0 else None
    if not isinstance(doc, dict):
        raise ValueError("the server did not print a PowerShell JSON object")
    return doc


def when(value: Any) -> float | None:
    """A DateTime as ConvertTo-Json writes it: ``/Date(ms)/`` (Windows PowerShell 5.1),
    ISO 8601 (PowerShell 7), or an object with ``value`` / ``DateTime``."""
    if isinstance(value, dict):
        value = value.get("value", value.get("DateTime"))
    if not isinstance(value, str) or not value:
        return None
    match = re.fullmatch(r"\\?/Date\((-?\d+)([+-]\d{4})?\)\\?/", value.strip())
    if match:
        ms = int(match.group(1))
        return ms / 1000.0 if ms > 0 else None
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp.timestamp() if stamp.year > 1601 else None


def _list(value: Any) -> list[dict[str, Any]]:
    # ConvertTo-Json writes a one-element array as the bare object.
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def antivirus(doc: Mapping[str, Any], now: float) -> Outcome:
    """Defender: service and real-time protection enabled, signature age in days."""
    mp = doc.get("Defender")
    if not isinstance(mp, dict):
        return unavailable("Get-MpComputerStatus answered nothing (Defender missing or not permitted)")
    b = Builder()
    enabled = mp.get("AMServiceEnabled")
    b.add("av_installed", 1.0, product="defender")
    if isinstance(enabled, bool):
        b.add("av_running", float(enabled and mp.get("AntivirusEnabled") is not False), product="defender")
    else:
        b.lack("AMServiceEnabled missing")
    realtime = mp.get("RealTimeProtectionEnabled")
    if isinstance(realtime, bool):
        b.add("av_realtime_enabled", float(realtime), product="defender")
    else:
        b.lack("RealTimeProtectionEnabled missing")
    age = mp.get("AntivirusSignatureAge")
    updated = when(mp.get("AntivirusSignatureLastUpdated"))
    if updated is not None:
        b.add("av_signature_age_days", max(0.0, now - updated) / DAY, product="defender")
    elif isinstance(age, int) and 0 <= age < 65535:  # 4294967295 / 65535: never updated
        b.add("av_signature_age_days", float(age), product="defender")
    else:
        b.lack("signature age unknown")
    return b.done()


# The Windows Update category "Security Updates" (its CategoryID is the same in every language).
SECURITY_CATEGORY = "0fa1201d-4330-4fa8-8ae9-b877473b6441"


def patches(doc: Mapping[str, Any], now: float) -> Outcome:
    """Days since the newest hotfix's InstalledOn (Get-HotFix) and pending security updates
    (the Update Agent's cached searcher: an update with an MSRC severity or in Security
    Updates), with the age of the agent's last successful search that the cache reflects."""
    fixes = _list(doc.get("HotFix"))
    times = [t for f in fixes if (t := when(f.get("InstalledOn"))) is not None]
    pending = doc.get("PendingUpdates")
    if not times and pending is None:
        return unavailable("Get-HotFix listed no dated hotfix and the update searcher answered nothing"
                           + _why(doc.get("PendingUpdatesError")))
    b = Builder()
    searched = when(doc.get("LastUpdateSearch"))
    if pending is None:
        b.lack("the update searcher answered nothing" + _why(doc.get("PendingUpdatesError")))
    elif searched is None:
        # An agent that never searched has an empty cache: "0 pending" would be 正常 unproven.
        b.lack("Windows Update has never searched successfully: pending updates unknown")
    else:
        b.add("patch_search_age_days", max(0.0, now - searched) / DAY)
        security = [u for u in _list(pending) if u.get("MsrcSeverity")
                    or SECURITY_CATEGORY in [str(c).lower() for c in _strings(u.get("Categories"))]]
        b.add("patch_security_pending", len(security))
        b.details("patch_pending_update", [_kb(u) for u in security], "update")
    if times:
        b.add("patch_age_days", max(0.0, now - max(times)) / DAY)
    else:
        b.lack("Get-HotFix listed no dated hotfix")
    return b.done()


def _why(message: Any) -> str:
    return f" ({str(message).strip()[:120]})" if message else ""


def _strings(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _kb(update: Mapping[str, Any]) -> str:
    kbs = [str(k) for k in _strings(update.get("KB")) if k]
    return f"KB{kbs[0]}" if kbs else str(update.get("Title") or "?")[:80]


def removable_media(doc: Mapping[str, Any]) -> Outcome:
    """USBSTOR Start (4 = disabled), cdrom Start, removable (2) and optical (5) drives present."""
    b = Builder()
    start = doc.get("UsbStorStart")
    if isinstance(start, int):
        b.add("usb_storage_allowed", float(start != 4))
    else:
        b.lack("USBSTOR service start type not readable")
    cdrom = doc.get("CdromStart")
    drives = _list(doc.get("Drives"))
    optical = [d for d in drives if d.get("DriveType") == 5]
    if isinstance(cdrom, int):
        b.add("optical_drive_enabled", float(cdrom != 4 and bool(optical)))
    if not drives:
        b.lack("Win32_LogicalDisk listed no drive")
        return b.done()
    removable = [str(d.get("DeviceID", "?")) for d in drives if d.get("DriveType") == 2]
    b.add("removable_media_mounted", len(removable))
    b.details("removable_media_mount", removable, "mount")
    return b.done()


# net accounts labels in English and Simplified Chinese Windows.
_NET_LENGTH = ("Minimum password length", "密码长度最小值")
_NET_MAX_AGE = ("Maximum password age (days)", "密码最长使用期限(天)")


def password_policy(doc: Mapping[str, Any]) -> Outcome:
    """secedit's [System Access] (MinimumPasswordLength, MaximumPasswordAge, PasswordComplexity;
    needs an administrator), else ``net accounts`` (English or Chinese labels). Windows
    complexity demands 3 of 4 classes, not upper + lower + digit, so it counts as 2 required."""
    sec = {m.group(1): int(m.group(2)) for m in
           re.finditer(r"^(\w+)\s*=\s*(-?\d+)\s*$", str(doc.get("SecEdit") or ""), re.M)}
    net = {m.group(1).strip(): m.group(2).strip() for m in
           re.finditer(r"^([^:\n]+?)[:：]\s+(\S.*)$", str(doc.get("NetAccounts") or ""), re.M)}
    length = sec.get("MinimumPasswordLength")
    if length is None:
        length = next((int(v) for k, v in net.items() if k in _NET_LENGTH and v.isdigit()), None)
    max_age = sec.get("MaximumPasswordAge")
    if max_age is None:
        raw = next((v for k, v in net.items() if k in _NET_MAX_AGE), None)
        max_age = None if raw is None else int(raw) if raw.isdigit() else -1  # Unlimited / 无限制
    if length is None and max_age is None:
        return unavailable("neither secedit nor net accounts gave the password policy")
    b = Builder()
    if length is not None:
        b.add("password_min_length", length)
    else:
        b.lack("minimum password length not found")
    if max_age is not None:
        b.add("password_max_age_days", max_age if max_age > 0 else 99999)
    complexity = sec.get("PasswordComplexity")
    if complexity is not None:
        b.add("password_classes_required", 2.0 if complexity == 1 else 0.0)
    else:
        b.lack("PasswordComplexity unknown (secedit export needs an administrator)")
    return b.done()


def connections(doc: Mapping[str, Any], options: PostureOptions) -> Outcome:
    """Get-NetTCPConnection: State 2 Listen, 5 Established, 3 SynSent (enum numbers in JSON)."""
    rows = _list(doc.get("Tcp"))
    if not rows:
        return unavailable("Get-NetTCPConnection listed nothing")
    listening = {int(r["LocalPort"]) for r in rows if r.get("State") in (2, "Listen") and "LocalPort" in r}
    conns = [egress.Conn(local_port=int(r["LocalPort"]), remote=str(r["RemoteAddress"]),
                         remote_port=int(r["RemotePort"]))
             for r in rows if r.get("State") in (3, 5, "SynSent", "Established")
             and {"LocalPort", "RemoteAddress", "RemotePort"} <= r.keys()]
    return egress.judge(conns, listening, options)


def cleared(doc: Mapping[str, Any], now: float, window: float) -> Outcome:
    """Security log cleared (event 1102) within the window."""
    if "LogCleared" not in doc:
        return unavailable("the Security log could not be queried")
    times = [t for e in _list(doc.get("LogCleared")) if (t := when(e.get("TimeCreated"))) is not None]
    return logs.windows_cleared(times, now, window)


def software(doc: Mapping[str, Any]) -> dict[str, str] | None:
    """Uninstall registry entries → name → version."""
    rows = _list(doc.get("Software"))
    out = {str(r["DisplayName"]): str(r.get("DisplayVersion") or "") for r in rows if r.get("DisplayName")}
    return out or None


def privileged_accounts(doc: Mapping[str, Any], now: float, *, approved: list[str],
                        unused_days: int) -> Outcome:
    """Administrators beyond the approved list; enabled local users without logon for N days."""
    admins, users = _list(doc.get("Admins")), _list(doc.get("Users"))
    if not admins and not users:
        return unavailable("Get-LocalGroupMember / Get-LocalUser answered nothing")
    b = Builder()
    short = {a.lower() for a in approved}
    extra = [str(a.get("Name", "")) for a in admins
             if str(a.get("Name", "")).split("\\")[-1].lower() not in short]
    b.add("privileged_unapproved_accounts", len(extra))
    b.details("privileged_unapproved", extra, "user")
    if not users:
        b.lack("Get-LocalUser answered nothing")
        return b.done()
    limit = now - unused_days * DAY
    unused = [str(u.get("Name")) for u in users if u.get("Enabled") is True
              and (when(u.get("LastLogon")) or 0.0) < limit]
    b.add("accounts_unused", len(unused))
    b.details("account_unused", unused, "user")
    return b.done()


def server_readings(doc: Mapping[str, Any], now: float) -> list[Reading]:
    """The server's own readings from windows_script.SERVER: ``cpu_percent`` (mean processor
    load), ``memory_percent``, ``disk_used_percent{mount}`` per fixed disk, ``uptime_seconds``
    (the server's own clock minus its boot time, so clock skew does not count). Absent fields
    give no reading, never a made-up one."""
    out: list[Reading] = []
    loads = [v for v in _strings(doc.get("CpuLoad")) if isinstance(v, int | float)]
    if loads:
        out.append(Reading("cpu_percent", sum(loads) / len(loads), {}, now))
    os_info = doc.get("Os")
    os_info = os_info if isinstance(os_info, dict) else {}
    free, total = os_info.get("FreePhysicalMemory"), os_info.get("TotalVisibleMemorySize")
    if isinstance(free, int | float) and isinstance(total, int | float) and total > 0:
        out.append(Reading("memory_percent", round(100.0 * (1 - free / total), 2), {}, now))
    booted, clock = when(os_info.get("LastBootUpTime")), when(os_info.get("LocalDateTime"))
    if booted is not None and clock is not None:
        out.append(Reading("uptime_seconds", max(0.0, clock - booted), {}, now))
    for vol in _list(doc.get("Volumes")):
        size, space = vol.get("Size"), vol.get("FreeSpace")
        if isinstance(size, int | float) and isinstance(space, int | float) and size > 0:
            out.append(Reading("disk_used_percent", round(100.0 * (size - space) / size, 2),
                               {"mount": str(vol.get("DeviceID", "?"))}, now))
    return out
