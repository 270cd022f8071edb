"""Parsers for Linux posture sections: antivirus (ClamAV), patches (apt, dnf/yum), removable
media, password policy (pam_pwquality, login.defs, shadow ageing)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from collectors.posture.outcome import Builder, Outcome, unavailable

DAY = 86400.0
_NO_FILE = ("No such file", "Permission denied", "cannot open")


def antivirus(sec: Mapping[str, str], now: float) -> Outcome:
    """ClamAV installed (a binary or a database), running (clamd or clamonacc), database age."""
    text = sec.get("av")
    if text is None:
        return unavailable("antivirus section missing from the server's answer")
    b = Builder()
    lines = text.splitlines()
    bins = {line.split()[1] for line in lines if line.startswith("bin ")}
    procs = {line.split()[1] for line in lines if line.startswith("proc ")}
    built = [t for line in lines if line.startswith("db ") and (t := _cvd_time(line)) is not None]
    installed = bool(bins or built)
    b.add("av_installed", 1.0 if installed else 0.0, product="clamav")
    if not installed:
        return b.done()
    b.add("av_running", 1.0 if procs & {"clamd", "clamonacc"} else 0.0, product="clamav")
    if built:
        b.add("av_signature_age_days", max(0.0, now - max(built)) / DAY, product="clamav")
    else:
        b.lack("ClamAV database not found or not readable")
    return b.done()


def _cvd_time(line: str) -> float | None:
    # A .cvd/.cld header: "ClamAV-VDB:14 Nov 2026 09-23 -0500:27093:…" (build time first).
    match = re.search(r"ClamAV-VDB:(\d{1,2} \w{3} \d{4} \d{2}-\d{2} [+-]\d{4}):", line)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%d %b %Y %H-%M %z").timestamp()
    except ValueError:
        return None


def patches(sec: Mapping[str, str], now: float) -> Outcome:
    """Pending security updates and days since the last package update."""
    text = sec.get("patches")
    if text is None:
        return unavailable("patches section missing from the server's answer")
    lines = text.splitlines()
    tool = next((line[5:] for line in lines if line.startswith("tool=")), "none")
    if tool == "none":
        return unavailable("no apt, dnf or yum on this server")
    b = Builder()
    last: float | None = None
    if tool == "apt":
        if any(line.startswith("E:") for line in lines):
            return unavailable("apt-get could not simulate an upgrade: "
                               + next(line for line in lines if line.startswith("E:"))[:120])
        inst = [line for line in lines if line.startswith("Inst ")]
        b.add("patch_security_pending", sum(1 for line in inst if "-security" in line.lower()))
        stamps = [t for line in lines if line.startswith("last ") and (t := _dpkg_time(line[5:]))]
        last = max(stamps, default=None)
    else:
        body = [line for line in lines if line.strip() and not line.startswith(("tool=", "installed "))]
        if any(("Error" in line or "Cache-only" in line or "No such command" in line) for line in body):
            return unavailable(f"{tool} updateinfo failed: {body[0][:120]}")
        b.add("patch_security_pending", len(body))
        stamps = [float(line.split()[1]) for line in lines
                  if line.startswith("installed ") and line.split()[1:2] and line.split()[1].isdigit()]
        last = max(stamps, default=None)
    if last is None:
        b.lack("no package history (dpkg.log / rpm install times) to date the last update")
    else:
        b.add("patch_age_days", max(0.0, now - last) / DAY)
    return b.done()


def _dpkg_time(line: str) -> float | None:
    # dpkg.log: "2026-11-30 10:01:02 upgrade pkg:amd64 1.0 1.1" in the server's local time;
    # read as UTC: a day-resolution age does not care about the zone.
    try:
        stamp = datetime.strptime(line[:19] + " +0000", "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return None
    return stamp.timestamp()


def removable_media(sec: Mapping[str, str]) -> Outcome:
    """usb-storage allowed (not blocked in modprobe.d) and loaded, optical drive enabled,
    removable or optical media mounted."""
    text = sec.get("media")
    if text is None:
        return unavailable("removable media section missing from the server's answer")
    b = Builder()
    lines = text.splitlines()
    blocked: set[str] = set()
    for line in lines:
        if line.startswith("conf "):
            words = line[5:].split()
            name = words[1].replace("-", "_") if len(words) > 1 else ""
            if words[0] == "blacklist" or (words[0] == "install" and
                                           any(w.endswith(("/true", "/false")) for w in words[2:])):
                blocked.add(name)
    mods = {line.split()[1] for line in lines if line.startswith("mod ") and len(line.split()) > 1}
    # uas needs usb_storage, so blocking usb_storage blocks USB disks.
    b.add("usb_storage_allowed", 0.0 if "usb_storage" in blocked else 1.0)
    modules_read = not any("/proc/modules" in line for line in lines)
    if modules_read:
        b.add("usb_storage_loaded", 1.0 if mods & {"usb_storage", "uas"} else 0.0)
    else:
        b.lack("/proc/modules not readable")
    removable, optical = set(), set()
    for line in lines:
        if line.startswith("block "):
            words = [*line.split(), "", ""]
            name, flag, path = words[1], words[2], words[3]
            if name.startswith("sr"):
                optical.add(name)
            elif flag == "1" or "/usb" in path:
                removable.add(name)
    b.add("optical_drive_enabled", 1.0 if optical and "sr_mod" not in blocked else 0.0)
    mounted = []
    for line in lines:
        if not line.startswith("mount "):
            continue
        words = line.split()
        if len(words) < 4:
            continue
        dev, mount, fstype = words[1], words[2], words[3]
        disk = re.sub(r"p?\d+$", "", dev.removeprefix("/dev/"))
        if disk in removable or disk in optical or fstype in ("iso9660", "udf"):
            mounted.append(mount)
    b.add("removable_media_mounted", len(mounted))
    b.details("removable_media_mount", mounted, "mount")
    return b.done()


def password_policy(sec: Mapping[str, str]) -> Outcome:
    """Minimum length, required classes (upper, lower, digit) and maximum age in days."""
    defs, pwq, pam = sec.get("login_defs"), sec.get("pwquality"), sec.get("pam")
    if defs is None or pwq is None or pam is None:
        return unavailable("password policy sections missing from the server's answer")
    b = Builder()
    if any(word in defs for word in _NO_FILE):
        b.lack(f"login.defs not readable: {defs.strip()[:100]}")
    else:
        values = dict(_kv(line) for line in defs.splitlines() if line.strip().startswith("PASS_"))
        max_days = _int(values.get("PASS_MAX_DAYS"))
        # 99999 and -1 are shadow-utils' "never expires".
        if max_days is None or max_days < 0 or max_days >= 99999:
            b.add("password_max_age_days", 99999)
        else:
            b.add("password_max_age_days", max_days)
    pam_lines = [line for line in pam.splitlines() if line.strip()]
    quality = next((line for line in pam_lines if "pam_pwquality" in line or "pam_cracklib" in line), None)
    if not pam_lines:
        b.lack("no PAM password configuration found")
        return b.done()
    if quality is None:
        # Without pam_pwquality only pam_unix's minlen (default 6) guards new passwords.
        unix = next((line for line in pam_lines if "pam_unix" in line), "")
        b.add("password_min_length", _int(_arg(unix, "minlen")) or 6)
        b.add("password_classes_required", 0)
        return b.done()
    conf: dict[str, str] = {}
    if not any(word in pwq for word in _NO_FILE):
        conf = dict(_kv(line.replace("=", " ", 1)) for line in pwq.splitlines() if "=" in line)
    for key in ("minlen", "ucredit", "lcredit", "dcredit", "minclass"):
        arg = _arg(quality, key)
        if arg is not None:
            conf[key] = arg  # module arguments override the file
    b.add("password_min_length", _int(conf.get("minlen")) or 8)  # pwquality's built-in minlen is 8
    required = sum(1 for key in ("ucredit", "lcredit", "dcredit") if (_int(conf.get(key)) or 0) < 0)
    b.add("password_classes_required", required)
    return b.done()


def password_accounts(sec: Mapping[str, str]) -> Outcome:
    """Accounts with a usable password that never has to change (shadow max days empty/99999)."""
    text = sec.get("shadow")
    if text is None or any(word in text for word in _NO_FILE):
        return unavailable("/etc/shadow not readable (password ageing of accounts needs root)")
    b = Builder()
    never = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1] == "P":
            max_days = _int(words[2]) if len(words) > 2 else None
            if max_days is None or max_days >= 99999:
                never.append(words[0])
    b.add("password_never_expires_accounts", len(never))
    b.details("password_never_expires", never, "user")
    return b.done()


def _kv(line: str) -> tuple[str, str]:
    words = line.split(None, 1)
    return (words[0], words[1].strip().strip("=").strip()) if len(words) == 2 else (line.strip(), "")


def _arg(line: str, key: str) -> str | None:
    match = re.search(rf"\b{key}=(-?\d+)", line)
    return match.group(1) if match else None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
