"""SSH transport (netmiko): CLI readings, configuration backup with change control, Linux checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from collectors.base import DeviceInfo, Shared
from collectors.ssh.options import SAMPLE, SshOptions, SshSettings

if TYPE_CHECKING:
    from collectors.ssh.collector import SshCollector

Options = SshOptions
Section = SshSettings
__all__ = ["SAMPLE", "Options", "Section", "build"]


def build(device: DeviceInfo, options: SshOptions, shared: Shared) -> SshCollector:
    """The collector of one SSH device; its sessions, known_hosts and config history are shared."""
    from collectors.ssh.collector import SshCollector, SshShared  # paramiko loads only when used

    def make() -> SshShared:
        settings = shared.section("ssh", SshSettings)
        return SshShared.create(shared.state_dir(), shared.windows, settings.max_concurrent,
                                settings.known_hosts)

    return SshCollector(device.name, options, address=device.address, port=device.port,
                        labels=device.labels(), shared=shared.once("ssh", make))
