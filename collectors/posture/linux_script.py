"""The one read-only POSIX sh script a Linux server runs per poll, and its output split by section.

Every check's raw material is printed under a ``@@rw:NAME`` marker so that one round trip
(``sh -s`` over SSH, or a local ``/bin/sh``) carries it all; the parsers never run commands.
Commands a server lacks print their shell error, which the parsers read as "cannot check".
"""

from __future__ import annotations

import shlex

from collectors.posture.options import PostureOptions

MARK = "@@rw:"

# Which sections each check reads (the script prints only the checks asked for).
SECTIONS: dict[str, tuple[str, ...]] = {
    "antivirus": ("av",),
    "patches": ("patches",),
    "removable_media": ("media",),
    "password_policy": ("login_defs", "pwquality", "pam", "shadow"),
    "egress": ("tcp", "udp"),
    "logs": ("logs", "journal"),
    "software": ("packages",),
    "privileged_accounts": ("passwd", "group", "shadow", "lastlog"),
}
SLOW = frozenset({"patches", "packages"})
"""Sections that cost the server real work (apt's solver takes seconds); they run every
``slow_interval`` in a session of their own, so a poll never waits for them."""
SLOW_CHECKS = frozenset({"patches", "software"})


def script(options: PostureOptions, *, slow: bool) -> str:
    """The script for the configured checks: the per-poll sections, or (``slow``) only the
    slow ones, which run in their own session every ``slow_interval``."""
    wanted = [s for check in options.checks for s in SECTIONS[check]]
    wanted = [s for s in dict.fromkeys(wanted) if (s in SLOW) == slow]
    parts = ["export LC_ALL=C", "s() { printf '\\n%s%s\\n' '" + MARK + "' \"$1\"; }",
             "s id; id -u; id -Gn"]
    for name in wanted:
        parts.append(f"s {name}; {_BODY[name](options)}")
    parts.append("s end")
    return "\n".join(parts) + "\n"


def split(text: str) -> dict[str, str]:
    """Output of ``script`` → section name → its text (a missing section is absent)."""
    out: dict[str, str] = {}
    name: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith(MARK):
            if name is not None:
                out[name] = "\n".join(lines).strip("\n")
            name, lines = line[len(MARK):].strip(), []
        elif name is not None:
            lines.append(line)
    if name is not None and name != "end":
        out[name] = "\n".join(lines).strip("\n")
    return out


def _q(path: str) -> str:
    return shlex.quote(path)


def _av(o: PostureOptions) -> str:
    db = _q(o.clamav_db)
    return (f"for f in {db}/daily.cld {db}/daily.cvd {db}/main.cld {db}/main.cvd; do "
            "[ -r \"$f\" ] && printf 'db %s %s\\n' \"$f\" \"$(head -c 100 \"$f\" | tr -c '[:print:]' ' ')\"; "
            "done; for p in clamd clamscan clamdscan freshclam; do "
            "command -v $p >/dev/null 2>&1 && echo \"bin $p\"; done; "
            "cat /proc/[0-9]*/comm 2>/dev/null | grep -xE 'clamd|freshclam|clamonacc' | sed 's/^/proc /'")


def _patches(o: PostureOptions) -> str:
    # -s simulates: no lock, no download, reads only the local package lists. dnf/yum -C stay
    # in the cache for the same reason: a check must never fetch anything from the Internet.
    return ("if command -v apt-get >/dev/null 2>&1; then echo tool=apt; "
            "apt-get -s -o Debug::NoLocking=1 dist-upgrade 2>&1 | grep -E '^(Inst |E:)'; "
            "for f in /var/log/dpkg.log /var/log/dpkg.log.1; do [ -r $f ] && "
            "grep -hE ' (upgrade|install) ' $f | tail -n 1 | sed 's/^/last /'; done; "
            "elif command -v dnf >/dev/null 2>&1; then echo tool=dnf; "
            "dnf -C -q updateinfo list --security --available 2>&1 | head -n 5000; "
            "rpm -qa --qf 'installed %{INSTALLTIME}\\n' | sort -n | tail -n 1; "
            "elif command -v yum >/dev/null 2>&1; then echo tool=yum; "
            "yum -C -q updateinfo list security 2>&1 | head -n 5000; "
            "rpm -qa --qf 'installed %{INSTALLTIME}\\n' | sort -n | tail -n 1; "
            "else echo tool=none; fi")


def _media(o: PostureOptions) -> str:
    return ("grep -E '^(usb_storage|uas|sr_mod|cdrom) ' /proc/modules 2>&1 | sed 's/^/mod /'; "
            "grep -rhsE '^[[:space:]]*(blacklist|install)[[:space:]]+(usb[-_]storage|uas|sr[-_]mod|cdrom)' "
            "/etc/modprobe.d /lib/modprobe.d /usr/lib/modprobe.d | sed 's/^/conf /'; "
            "for d in /sys/block/*; do printf 'block %s %s %s\\n' \"${d##*/}\" "
            "\"$(cat $d/removable 2>/dev/null)\" \"$(readlink -f $d/device 2>/dev/null)\"; done; "
            "sed 's/^/mount /' /proc/mounts")


def _login_defs(o: PostureOptions) -> str:
    return f"grep -E '^[[:space:]]*PASS_(MAX_DAYS|MIN_LEN)' {_q(o.login_defs)} 2>&1 || echo nomatch"


def _pwquality(o: PostureOptions) -> str:
    conf = _q(o.pwquality_conf)
    return (f"cat {conf} 2>&1 | grep -vE '^[[:space:]]*(#|$)'; "
            f"cat {conf}.d/*.conf 2>/dev/null | grep -vE '^[[:space:]]*(#|$)'")


def _pam(o: PostureOptions) -> str:
    files = " ".join(_q(p) for p in o.pam_password)
    return f"grep -hsE '^[[:space:]]*password' {files}"


def _shadow(o: PostureOptions) -> str:
    # Only name, locked flag and ageing fields cross the wire: never the hashes.
    return "awk -F: '{print $1, ($2 ~ /^[!*]/ ? \"L\" : \"P\"), $5, $8}' /etc/shadow 2>&1"


def _tcp(o: PostureOptions) -> str:
    return "cat /proc/net/tcp /proc/net/tcp6 2>&1"


def _udp(o: PostureOptions) -> str:
    return "cat /proc/net/udp /proc/net/udp6 2>&1"


def _logs(o: PostureOptions) -> str:
    files = " ".join(_q(p) for p in o.log_files)
    return (f"for p in {files}; do for f in \"$p\" \"$p\".* \"$p\"-*; do "
            "[ -e \"$f\" ] && stat -c '%i %s %n' \"$f\"; done; done 2>&1")


def _journal(o: PostureOptions) -> str:
    where = f" -D {_q(o.journal_directory)}" if o.journal_directory else ""
    # The file headers (cheap: no entry is read) give each file's sequence-number range; a
    # range missing between two files is a journal file removed from the middle.
    return ("if command -v journalctl >/dev/null 2>&1; then "
            f"journalctl{where} -q --no-pager -o short-unix 2>&1 | head -n 1 | sed 's/^/first /'; "
            f"journalctl{where} -q --no-pager -o short-unix -n 1 2>&1 | tail -n 1 | sed 's/^/last /'; "
            f"journalctl{where} --header 2>/dev/null | grep -E "
            "'^(File path|Sequential number ID|Head sequential number|Tail sequential number"
            "|Tail realtime timestamp):' | sed 's/^/header /'; "
            "else echo nojournal; fi")


def _packages(o: PostureOptions) -> str:
    return ("if command -v dpkg-query >/dev/null 2>&1; then "
            "dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\\n' 2>&1; "
            "elif command -v rpm >/dev/null 2>&1; then rpm -qa --qf 'ii %{NAME} %{VERSION}-%{RELEASE}\\n'; "
            "else echo nopkgtool; fi")


def _passwd(o: PostureOptions) -> str:
    return "cat /etc/passwd 2>&1"


def _group(o: PostureOptions) -> str:
    return "grep -E '^(sudo|wheel|admin|root):' /etc/group"


def _lastlog(o: PostureOptions) -> str:
    return ("if command -v lastlog >/dev/null 2>&1; then lastlog 2>&1 | head -n 5000; "
            "elif command -v lastlog2 >/dev/null 2>&1; then lastlog2 2>&1 | head -n 5000; "
            "else echo nolastlog; fi")


_BODY = {"av": _av, "patches": _patches, "media": _media, "login_defs": _login_defs,
         "pwquality": _pwquality, "pam": _pam, "shadow": _shadow, "tcp": _tcp, "udp": _udp, "logs": _logs,
         "journal": _journal, "packages": _packages, "passwd": _passwd, "group": _group,
         "lastlog": _lastlog}
