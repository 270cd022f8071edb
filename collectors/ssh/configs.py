"""Running configurations: drop volatile lines, mask secrets, and diff two versions.

Masking happens before anything is stored, diffed, logged or sent: a masked line keeps its
keyword so a reader sees *that* a password line changed place, never the value. A change of
a secret value alone is therefore invisible to change control (as with Oxidized/RANCID
masking); that is the price of never storing secrets.
"""

from __future__ import annotations

import difflib
import re

MASK = "<secret-hidden>"

# Lines that change without anyone changing the configuration, per netmiko device type.
_VOLATILE: dict[str, list[re.Pattern[str]]] = {
    "cisco": [
        re.compile(r"^Building configuration"),
        re.compile(r"^Current configuration\s*:"),
        re.compile(r"^! (Last configuration change|NVRAM config last updated|No configuration change)"),
        re.compile(r"^!\s*Time:"),
        re.compile(r"^ntp clock-period "),
    ],
    "huawei": [
        re.compile(r"^!\s*Last configuration was (updated|saved)"),
        re.compile(r"^!\s*(Time|Current time)\b"),
    ],
    "hp_comware": [
        re.compile(r"^\s*#?\s*Current time\b"),
    ],
    "ruijie": [
        re.compile(r"^Building configuration"),
        re.compile(r"^Current configuration\s*:"),
        re.compile(r"^!\s*(Last configuration|Time:)"),
    ],
}

# Vendor cipher blobs (Huawei %^%#…%^%#, %$%$…%$%$, %@%@…%@%@) wherever they appear.
_BLOB = re.compile(r"%\^%#.*?%\^%#|%\$%\$.*?%\$%\$|%@%@.*?%@%@")

# A keyword that introduces a secret, an optional "type" word or digit, then the secret token.
_KEYWORDS = (
    r"secret|password|passwd|cipher|simple|irreversible-cipher|hash|key-string|shared-key|"
    r"pre-shared-key|authentication-key|md5|sha|sha-256|sha256|sha512|aes|aes128|aes192|aes256|"
    r"des|des56|3des|key|auth-password|priv-password|psk|wpa-psk"
)
_MODIFIER = r"(?:level\s+\d+|\d{1,3}|ascii-key|hex-key|plain|encrypted)"
_SECRET_AFTER = re.compile(
    rf"(?P<head>\b(?:{_KEYWORDS})\b"
    rf"(?:\s+(?:(?:{_KEYWORDS})\b|{_MODIFIER}\b))*\s+)"
    rf"(?P<secret>(?!(?:{_KEYWORDS})\b)[^\s<]\S*)"
)
# SNMP communities: the community itself is the secret, wherever the keyword puts it.
_COMMUNITY = [
    re.compile(r"^(?P<head>\s*snmp-server community\s+)(?P<secret>\S+)"),
    re.compile(r"^(?P<head>\s*snmp-agent community\s+(?:read|write)\s+(?:(?:cipher|simple)\s+)?)"
               r"(?P<secret>\S+)"),
    re.compile(r"^(?P<head>\s*snmp-agent community\s+(?:cipher|simple)\s+)(?P<secret>\S+)"),
    re.compile(r"^(?P<head>\s*snmp-server host\s+\S+(?:\s+(?:informs|traps|version\s+\S+))*\s+)"
               r"(?P<secret>\S+)"),
]
# Lines where a keyword from the list is not a secret (``password-recovery``, ``service
# password-encryption``, ``key chain NAME``…): left alone.
_HARMLESS = re.compile(
    r"^\s*(?:no\s+)?(?:description|remark|alias|service password-encryption|password-recovery|"
    r"password\s+(?:expire|min-length|complexity|alert|control|history|lock|restriction)|"
    r"key chain|crypto key generate|"
    r"local-user \S+ (?:service-type|privilege|state|level)|ip ssh|ssh (?:server|user \S+ "
    r"(?:service-type|authentication-type))|undo )"
)


def family(device_type: str) -> str:
    """The configuration dialect of a netmiko device type (``cisco_ios`` → ``cisco``)."""
    for name in ("hp_comware", "huawei", "ruijie", "cisco"):
        if device_type.startswith(name):
            return name
    return "cisco" if device_type.startswith(("arista", "cisco")) else device_type


def normalise(device_type: str, text: str) -> str:
    """Drop volatile lines and trailing blanks; unify line ends; end with one newline."""
    volatile = _VOLATILE.get(family(device_type), [])
    kept = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.rstrip()
        if any(p.search(line) for p in volatile):
            continue
        kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    while kept and not kept[0]:
        kept.pop(0)
    return "\n".join(kept) + "\n" if kept else ""


def mask(text: str) -> str:
    """The configuration with every secret value replaced by ``<secret-hidden>``."""
    return "\n".join(mask_line(line) for line in text.split("\n"))


def mask_line(line: str) -> str:
    """One configuration line with its secret values (if any) replaced."""
    line = _BLOB.sub(MASK, line)
    for pattern in _COMMUNITY:
        match = pattern.search(line)
        if match:
            return line[: match.start("secret")] + MASK + _mask_rest(line[match.end("secret"):])
    if _HARMLESS.search(line):
        return line
    return _mask_rest(line)


def _mask_rest(text: str) -> str:
    return _SECRET_AFTER.sub(lambda m: m.group("head") + MASK, text)


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    """A unified diff (3 lines of context) of two masked versions; empty when equal."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_name, tofile=new_name, lineterm=""
    )
    return "\n".join(lines)


def trim(diff: str, limit: int) -> str:
    """The diff cut to about ``limit`` characters at a line end, saying how much was left out."""
    if len(diff) <= limit:
        return diff
    lines, size = [], 0
    all_lines = diff.split("\n")
    for line in all_lines:
        if size + len(line) + 1 > limit:
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join([*lines, f"… ({len(all_lines) - len(lines)} more lines)"])
