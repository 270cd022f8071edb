"""The ``ssh`` device sub-table and the ``[ssh]`` section: login, timeouts, what is read."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.core.durations import Duration
from monitor.core.options import PluginOptions
from monitor.core.secrets import Secret

SAMPLE = """\
# A switch read over SSH (netmiko): ARP / MAC / interface / temperature tables each poll, and the
# running configuration once a `backup_interval`. Versions are kept (masked: passwords,
# communities and keys never stored) in STATE_DIR/configs.db; a change emits config_changed
# with the masked diff and whether it fell inside a [[maintenance]] window.
# Host keys must be trusted first: `roomwatch ssh trust core-sw-2` (shows the SHA256 fingerprint).
[[devices]]
name = "core-sw-2"
kind = "switch"
address = "192.0.2.2"
room = "一号机房"
level = 1
timeout = "90s"                 # the whole collection, configuration backup included
[devices.ssh]
device_type = "huawei"    # cisco_ios | cisco_xe | huawei | huawei_vrpv8 | hp_comware | ruijie_os | linux
username = "roomwatch"
key_file = "/etc/roomwatch/id_ed25519"   # or password = "env:CORE_SW2_PASSWORD" (or "file:…")
# enable_secret = "env:CORE_SW2_ENABLE"   # Cisco / Ruijie privileged mode
port = 22                       # default: the device's port, else 22
connect_timeout = "10s"         # TCP connect, banner and login
command_timeout = "60s"         # one command (a big running-config takes a while)
backup = true                   # fetch the running configuration…
backup_interval = "1d"          # …this often (003: daily inspection)
# config_command = "display current-configuration"   # default per device_type
tables = ["arp", "mac", "interfaces", "environment"]
diff_max_chars = 1500           # masked diff carried in the alert; the whole one: roomwatch config-history

# A Linux server over SSH: RAID (/proc/mdstat), SMART (smartctl -j), failed systemd units,
# file-system use (df) and NTP sync (timedatectl / chronyc).
[[devices]]
name = "db-01"
kind = "server"
address = "192.0.2.10"
room = "一号机房"
level = 1
[devices.ssh]
device_type = "linux"
username = "roomwatch"
key_file = "/etc/roomwatch/id_ed25519"
sudo = true                     # smartctl through sudo -n
mdstat = "/proc/mdstat"         # where the RAID state is read
ignore_fstypes = ["tmpfs", "devtmpfs", "squashfs", "overlay", "iso9660"]   # use not reported

[ssh]
max_concurrent = 4              # SSH sessions open at once (each runs in a worker thread)
# known_hosts = "/var/lib/roomwatch/ssh_known_hosts"   # default: STATE_DIR/ssh_known_hosts
"""

DeviceType = Literal[
    "cisco_ios", "cisco_xe", "huawei", "huawei_vrpv8", "hp_comware", "ruijie_os", "linux"
]
Table = Literal["arp", "mac", "interfaces", "environment"]
_ALL_TABLES: tuple[Table, ...] = ("arp", "mac", "interfaces", "environment")


class SshOptions(PluginOptions):
    """Read over SSH (netmiko): the ``ssh`` sub-table."""

    needs_address: ClassVar[bool] = True

    device_type: DeviceType = Field(description="netmiko device type.")
    username: str = Field(min_length=1, description="Login name.")
    password: Secret | None = Field(None, description="Password (env:/file: allowed).")
    key_file: Path | None = Field(None, description="Private key file instead of a password.")
    enable_secret: Secret | None = Field(None, description="Enable secret (Cisco/Ruijie).")
    port: int | None = Field(None, ge=1, le=65535, description="SSH port; default device port or 22.")
    connect_timeout: Duration = Field(10.0, gt=0, description="TCP connect, banner and login limit.")
    command_timeout: Duration = Field(60.0, gt=0, description="Longest one command may take.")
    backup: bool = Field(True, description="Back up the running configuration (not for linux).")
    backup_interval: Duration = Field(86400.0, gt=0, description="How often the config is fetched.")
    config_command: str | None = Field(None, description="Override the config command.")
    tables: list[Table] = Field(default_factory=lambda: list(_ALL_TABLES),
                                description="CLI tables read each collection (network devices).")
    diff_max_chars: int = Field(1500, ge=100, description="Diff size carried in the alert.")
    sudo: bool = Field(False, description="linux: run smartctl through sudo -n.")
    mdstat: str = Field("/proc/mdstat", description="linux: where the RAID state is read.")
    ignore_fstypes: list[str] = Field(
        default_factory=lambda: ["tmpfs", "devtmpfs", "squashfs", "overlay", "iso9660"],
        description="linux: file-system types whose use is not reported.")


    @model_validator(mode="after")
    def _credentials(self) -> SshOptions:
        if self.password is None and self.key_file is None:
            raise ValueError("give password or key_file")
        return self


class SshSettings(BaseModel):
    """The ``[ssh]`` section: what all devices with an ``ssh`` sub-table share."""

    model_config = ConfigDict(extra="forbid")

    max_concurrent: int = Field(4, ge=1, le=64, description="SSH sessions open at once.")
    known_hosts: Path | None = Field(
        None, description="Trusted host keys; default STATE_DIR/ssh_known_hosts."
    )
