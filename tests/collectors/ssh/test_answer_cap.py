"""A device that never stops talking: one SSH command's output is read up to the cap, then the
session is dropped (netmiko would otherwise hold everything until the prompt came back)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from collectors.ssh import hostkeys
from collectors.ssh.collector import SshCollector, SshOptions, SshShared
from monitor.core.errors import CollectError

from .conftest import Sshd


def test_endless_command_output_is_cut_at_the_cap(tmp_path: Path, sshd: Sshd) -> None:
    # `cat /dev/zero` prints without end: the RAID check of a host whose /proc misbehaves.
    options = SshOptions.model_validate({"device_type": "linux", "username": sshd.user,
                                         "password": sshd.password, "mdstat": "/dev/zero",
                                         "command_timeout": "60s"})
    col = SshCollector("db-01", options, address="127.0.0.1", port=sshd.port,
                       shared=SshShared.create(tmp_path / "state", []))
    hostkeys.record(col.shared.known_hosts, "127.0.0.1", sshd.port,
                    hostkeys.fetch_key("127.0.0.1", sshd.port, 5))
    with pytest.raises(CollectError, match="printed more than 4 MiB; stopped reading") as caught:
        asyncio.run(col.collect(1000.0))
    assert sshd.password not in str(caught.value)
