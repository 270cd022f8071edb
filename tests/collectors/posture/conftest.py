"""Fixtures for posture tests: a real sshd on loopback (the ssh tests' throw-away user and
server) with its host key already trusted in a roomwatch known_hosts file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest

from collectors.ssh import hostkeys
from collectors.ssh.session import Target
from tests.collectors.ssh.conftest import Sshd, running_sshd


@dataclass
class Server:
    """A running sshd and how roomwatch reaches it."""

    sshd: Sshd
    target: Target


def trusted(sshd: Sshd, known_hosts: Path, *, command_timeout: float = 60.0) -> Target:
    """Record the server's key as ``roomwatch ssh trust`` would and return the target."""
    key = paramiko.Ed25519Key.from_private_key_file(str(sshd.host_key))
    hostkeys.record(known_hosts, "127.0.0.1", sshd.port, key)
    return Target(device="srv", address="127.0.0.1", port=sshd.port, device_type="linux",
                  username=sshd.user, password=sshd.password, key_file=None, enable_secret=None,
                  conn_timeout=10.0, command_timeout=command_timeout, known_hosts=known_hosts)


@pytest.fixture
def linux_server(tmp_path: Path) -> Iterator[Server]:
    with running_sshd() as sshd:
        yield Server(sshd, trusted(sshd, tmp_path / "known_hosts"))
