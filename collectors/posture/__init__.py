"""Server security posture (antivirus, patches, removable media, passwords, egress, logs kept,
approved software, privileged accounts): a per-device option of ``kind = "server"`` devices,
read through the device's own transport (``local``, ``ssh``, or ``winrm`` for older Windows).

Exports the plugin shape: ``PostureOptions`` (with ``secret_values()``), ``SAMPLE`` and
``build(device, options, shared)``.
"""

from __future__ import annotations

from typing import Any

from collectors.base import Collector, Shared
from collectors.posture.collector import OS, PostureCollector, WithPosture
from collectors.posture.options import CHECKS, PostureOptions

Options = PostureOptions
__all__ = ["CHECKS", "SAMPLE", "Options", "PostureOptions", "build", "options_of"]

SAMPLE = """\
# Server security posture: on by default for every kind = "server" read through local = {} or
# ssh with device_type "linux" or "windows" (Windows Server's OpenSSH, PowerShell). One read-only
# script per poll; the package inventory and pending updates every slow_interval. A check that
# cannot run reports posture_check_unavailable{check,reason} 1 and shows 无法检查, never 正常.
# `posture = false` turns it off (and "winrm" devices keep only their CPU/memory/disk readings).
# Software baseline: `roomwatch server baseline approve app-01`.
[[devices]]
name = "app-01"
kind = "server"
address = "192.0.2.30"
room = "一号机房"
ssh = { device_type = "linux", username = "roomwatch", key_file = "/etc/roomwatch/id_ed25519" }
[devices.posture]
enabled = true                  # `posture = false` is the short form of enabled = false
checks = ["antivirus", "patches", "removable_media", "password_policy", "egress", "logs",
          "software", "privileged_accounts"]
egress_allow = ["192.0.2.53", "198.51.100.10:3128"]   # time server, proxy: ADDRESS[/N][:PORT], no names
internal_networks = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
                     "100.64.0.0/10", "224.0.0.0/4", "::1/128", "fe80::/10", "fc00::/7", "ff00::/8"]
approved_admins = ["root", "Administrator", "dba"]     # UID 0 / sudo / wheel / Administrators allowed
unused_days = 90                # enabled accounts not used this long (《信息系统操作员授权与离岗制度》第2条)
slow_interval = "6h"            # package inventory and pending security updates
log_files = ["/var/log/syslog", "/var/log/messages", "/var/log/auth.log", "/var/log/secure",
             "/var/log/wtmp", "/var/log/btmp"]
log_cleared_window = "7d"       # a truncated/removed/cleared log stays reported this long
# journal_directory = "/var/log/journal/remote"   # journalctl -D this instead of the system journal
login_defs = "/etc/login.defs"
pwquality_conf = "/etc/security/pwquality.conf"
pam_password = ["/etc/pam.d/common-password", "/etc/pam.d/system-auth", "/etc/pam.d/password-auth"]
clamav_db = "/var/lib/clamav"

# A Windows server: its built-in OpenSSH runs one PowerShell command per poll (posture only).
[[devices]]
name = "win-01"
kind = "server"
address = "192.0.2.31"
room = "一号机房"
ssh = { device_type = "windows", username = "roomwatch", key_file = "/etc/roomwatch/id_ed25519" }
"""


def options_of(device: Any) -> PostureOptions | None:
    """The device's posture options: defaults for a server without ``posture``, None when
    ``posture = false``, the device is not a server, or its transport cannot run commands."""
    setting = getattr(device, "posture", None)
    if device.kind != "server" or (isinstance(setting, PostureOptions) and not setting.enabled):
        return None
    if device.transport not in ("local", "ssh", "winrm"):
        return None
    if device.transport == "ssh" and getattr(device.options(), "device_type", "") not in ("linux", "windows"):
        return None
    return setting if isinstance(setting, PostureOptions) else PostureOptions()


def build(device: Any, options: PostureOptions, shared: Shared,
          base: Collector | None = None) -> Collector:
    """The device's collector with posture: ``base`` (the transport's own collector) plus the
    checks, or the checks alone for a Windows server over ssh (``base`` None); the winrm
    transport's collector already is one (one script for both). Known hosts and state are the
    ssh transport's and the daemon's (``[ssh] known_hosts``, STATE_DIR/posture/)."""
    from collectors.ssh.collector import target
    from collectors.ssh.options import SshSettings

    if base is None and device.transport == "winrm":
        from collectors import transport  # by name: winrm builds on posture, not the reverse

        base = transport("winrm").build(device, device.options(), shared)
    if isinstance(base, PostureCollector):
        return base
    state = shared.state_dir()
    remote = None
    os: OS = "linux"
    if device.transport == "ssh":
        ssh = device.options()
        known = shared.section("ssh", SshSettings).known_hosts or state / "ssh_known_hosts"
        remote = target(device.name, ssh, address=device.address, port=device.port, known_hosts=known)
        os = "windows" if ssh.device_type == "windows" else "linux"
    posture = PostureCollector(device.name, options, state_dir=state, target=remote,
                               os=os, reports_host_key=base is None, server=os == "windows")
    return posture if base is None else WithPosture(base, posture)
