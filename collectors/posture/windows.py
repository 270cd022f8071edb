"""Windows servers: one PowerShell script (over OpenSSH) printing one ``ConvertTo-Json`` object,
and the parsers of each check from the fields Microsoft documents for those cmdlets."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from collectors.posture import egress, logs
from collectors.posture.options import PostureOptions
from collectors.posture.outcome import Builder, Outcome, unavailable

DAY = 86400.0

# Read-only but for secedit, which can only export to a file: a temp file removed at once.
SCRIPT = r"""$ErrorActionPreference = 'SilentlyContinue'
$r = [ordered]@{}
$r.Defender = Get-MpComputerStatus |
  Select-Object AMServiceEnabled, AntivirusEnabled, RealTimeProtectionEnabled, AntivirusSignatureAge,
    AntivirusSignatureLastUpdated, FullScanEndTime
$r.HotFix = @(Get-HotFix | Select-Object HotFixID, Description, InstalledOn)
$r.UsbStorStart = (Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Services\USBSTOR' -Name Start).Start
$r.CdromStart = (Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Services\cdrom' -Name Start).Start
$r.Drives = @(Get-CimInstance Win32_LogicalDisk | Select-Object DeviceID, DriveType)
$r.NetAccounts = (net accounts) -join "`n"
$f = Join-Path $env:TEMP ('rw' + [guid]::NewGuid() + '.inf')
secedit /export /cfg $f /areas SECURITYPOLICY | Out-Null
$r.SecEdit = (Get-Content $f) -join "`n"; Remove-Item $f -Force
$r.Tcp = @(Get-NetTCPConnection |
  Select-Object LocalAddress, LocalPort, RemoteAddress, RemotePort, State)
$r.LogCleared = @(Get-WinEvent -FilterHashtable @{LogName='Security'; Id=1102} -MaxEvents 10 |
  Select-Object TimeCreated)
$u = 'Microsoft\Windows\CurrentVersion\Uninstall\*'
$r.Software = @(Get-ItemProperty "HKLM:\Software\$u", "HKLM:\Software\WOW6432Node\$u" |
  Where-Object DisplayName | Select-Object DisplayName, DisplayVersion)
$r.Admins = @(Get-LocalGroupMember -SID 'S-1-5-32-544' | Select-Object Name, ObjectClass, PrincipalSource)
$r.Users = @(Get-LocalUser | Select-Object Name, Enabled, LastLogon)
$r | ConvertTo-Json -Depth 4 -Compress
"""


def command() -> str:
    """The command line the server's OpenSSH runs (any default shell: cmd or PowerShell)."""
    encoded = base64.b64encode(SCRIPT.encode("utf-16-le")).decode()
    return f"powershell -NoProfile -NonInteractive -EncodedCommand {encoded}"


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


def patches(doc: Mapping[str, Any], now: float) -> Outcome:
    """Days since the newest hotfix's InstalledOn (Get-HotFix). Pending updates are not
    listed by Get-HotFix; that needs the Windows Update API (not read here)."""
    fixes = _list(doc.get("HotFix"))
    times = [t for f in fixes if (t := when(f.get("InstalledOn"))) is not None]
    if not times:
        return unavailable("Get-HotFix listed no dated hotfix")
    b = Builder()
    b.add("patch_age_days", max(0.0, now - max(times)) / DAY)
    return b.done()


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
