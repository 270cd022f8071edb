"""Server security posture (antivirus, patches, removable media, passwords, egress, logs kept,
approved software, privileged accounts): a per-device option of ``kind = "server"`` devices,
read through the device's own transport (``local`` or ``ssh``).

Exports the plugin shape: ``PostureOptions`` (with ``secret_values()``), ``SAMPLE`` and
``build(device, options, shared)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectors.base import Collector
from collectors.posture.collector import OS, PostureCollector, WithPosture
from collectors.posture.options import CHECKS, PostureOptions

__all__ = ["CHECKS", "SAMPLE", "PostureOptions", "PostureShared", "build", "options_of"]

SAMPLE = """\
# Posture checks run on every kind = "server" device read through local = {} or ssh
# (device_type = "linux" or "windows"); a plain server entry is already checked.
[[devices]]
name = "app-01"
kind = "server"
address = "192.0.2.20"
ssh = { device_type = "linux", username = "roomwatch", key_file = "/etc/roomwatch/id_ed25519" }
# posture = false                       # turn the checks off for this server
[devices.posture]
checks = ["antivirus", "patches", "removable_media", "password_policy", "egress", "logs",
          "software", "privileged_accounts"]
egress_allow = ["192.0.2.53", "198.51.100.10:3128"]   # time server, HTTP proxy (ADDRESS[/N][:PORT])
approved_admins = ["root", "Administrator", "opsadmin"]
unused_days = 90                         # enabled accounts unused this long are reported
slow_interval = "6h"                     # package inventory and pending updates
log_cleared_window = "7d"                # a cleared/truncated log stays reported this long

[[devices]]
name = "win-01"
kind = "server"
address = "192.0.2.21"
# Windows Server's OpenSSH; roomwatch runs one PowerShell command per poll.
ssh = { device_type = "windows", username = "roomwatch", password = "env:WIN01_PASSWORD" }
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class PostureShared:
    """What posture collectors share: the state directory (baselines, log positions) and the
    ssh transport's known_hosts file."""

    state_dir: Path
    known_hosts: Path


def options_of(device: Any) -> PostureOptions | None:
    """The device's posture options: defaults for a server without ``posture``, None when
    ``posture = false``, the device is not a server, or its transport cannot run commands."""
    setting = getattr(device, "posture", None)
    if device.kind != "server" or (isinstance(setting, PostureOptions) and not setting.enabled):
        return None
    if device.transport not in ("local", "ssh"):
        return None
    if device.transport == "ssh" and device.ssh.device_type not in ("linux", "windows"):
        return None
    return setting if isinstance(setting, PostureOptions) else PostureOptions()


def build(device: Any, options: PostureOptions, shared: PostureShared,
          base: Collector | None = None) -> Collector:
    """The device's collector with posture: ``base`` (the transport's own collector) plus the
    checks, or the checks alone for a Windows server (``base`` None)."""
    from collectors.ssh.collector import target

    remote = None
    os: OS = "linux"
    if device.transport == "ssh":
        remote = target(device.name, device.ssh, address=device.address, port=device.port,
                        known_hosts=shared.known_hosts)
        os = "windows" if device.ssh.device_type == "windows" else "linux"
    posture = PostureCollector(device.name, options, state_dir=shared.state_dir, target=remote,
                               os=os, reports_host_key=base is None)
    return posture if base is None else WithPosture(base, posture)
