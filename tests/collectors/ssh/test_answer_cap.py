"""A device that never stops talking: one SSH command's output is read up to the cap, then the
session is dropped (netmiko would otherwise hold everything until the prompt came back)."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import pytest

from collectors.ssh import hostkeys
from collectors.ssh.collector import SshCollector, SshOptions, SshShared
from monitor.scheduler import Job, collect_once

from .conftest import Sshd

DATA = Path(__file__).parents[1] / "data"


def test_endless_command_output_is_cut_at_the_cap(
    tmp_path: Path, sshd: Sshd, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copy(DATA / "mdstat_degraded.txt", sshd.public_dir / "mdstat")
    # `cat /dev/zero` prints without end: the RAID check of a host whose /proc misbehaves.
    options = SshOptions.model_validate({"device_type": "linux", "username": sshd.user,
                                         "password": sshd.password, "mdstat": "/dev/zero",
                                         "command_timeout": "60s"})
    col = SshCollector("db-01", options, address="127.0.0.1", port=sshd.port,
                       shared=SshShared.create(tmp_path / "state", []))
    key = hostkeys.fetch_key("127.0.0.1", sshd.port, 5)
    hostkeys.record(col.shared.known_hosts, "127.0.0.1", sshd.port, key)
    job = Job(device="db-01", labels={"device": "db-01"}, collector=col, interval=60, timeout=90)
    with caplog.at_level(logging.WARNING):
        readings = asyncio.run(collect_once(job, 1000.0))
    assert [(r.metric, r.value) for r in readings] == [("up", 0.0)]
    assert "printed more than 4 MiB; stopped reading" in caplog.text
    assert sshd.password not in caplog.text
