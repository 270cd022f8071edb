"""Real SSH servers on loopback for the SSH collector tests: OpenSSH's sshd with a throw-away
host key and user, and fake-switches' Cisco model. Both are stopped after the test."""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.procs import free_port, stop

HERE = Path(__file__).parent


def wait_port(port: int, proc: subprocess.Popen[bytes], deadline: float = 15.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {deadline}s")


@dataclass
class Sshd:
    """A running sshd: where, who, and the host key files."""

    port: int
    user: str
    password: str
    host_key: Path
    public_dir: Path  # readable by the throw-away user (fixtures it reads over SSH)


@contextlib.contextmanager
def running_sshd(extra_config: str = "") -> Iterator[Sshd]:
    """A throw-away user and an sshd on a loopback port; ``extra_config`` lines are appended to
    sshd_config (e.g. a ForceCommand that stands in for a server this box cannot run)."""
    binary = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(binary).exists():
        pytest.skip("openssh-server is not installed (scripts/apt.d/ssh.txt)")
    if os.geteuid() != 0:
        pytest.skip("creating a throw-away login user needs root")
    work = Path(tempfile.mkdtemp(prefix="rw-sshd-"))
    work.chmod(0o755)
    user = "rwt" + secrets.token_hex(4)
    password = "Tw-" + secrets.token_urlsafe(12)
    host_key = work / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
    subprocess.run(["useradd", "-M", "-d", str(work), "-s", "/bin/bash", user], check=True)
    proc = None
    try:
        subprocess.run(["chpasswd"], input=f"{user}:{password}".encode(), check=True)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        port = free_port()
        cfg = work / "sshd_config"
        cfg.write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {work}/sshd.pid\n"
            f"AllowUsers {user}\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
            "PubkeyAuthentication no\nUsePAM no\nPermitRootLogin no\nStrictModes no\n"
            "PrintMotd no\nPrintLastLog no\nMaxStartups 20\nLogLevel ERROR\n" + extra_config)
        proc = subprocess.Popen([binary, "-D", "-e", "-f", str(cfg)], stderr=subprocess.DEVNULL)
        wait_port(port, proc)
        yield Sshd(port, user, password, host_key, work)
    finally:
        if proc is not None:
            stop(proc)
        with contextlib.suppress(KeyError):
            pwd.getpwnam(user)
            # sshd's per-session children may still run as the user; userdel refuses then.
            subprocess.run(["pkill", "-KILL", "-u", user], check=False)
            subprocess.run(["userdel", "-f", user], check=False, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def sshd() -> Iterator[Sshd]:
    with running_sshd() as server:
        yield server


@dataclass
class FakeSwitch:
    """A fake-switches Cisco switch: login netops / sw-login-pw, enable secret enable-pw."""

    port: int
    username: str = "netops"
    password: str = "sw-login-pw"
    enable: str = "enable-pw"


@pytest.fixture
def fake_cisco(request: pytest.FixtureRequest) -> Iterator[FakeSwitch]:
    pytest.importorskip("fake_switches", reason="fake-switches is installed by scripts/test")
    extra = getattr(request, "param", "")
    port = free_port()
    env = {**os.environ, "FAKE_CISCO_EXTRA": extra}
    proc = subprocess.Popen([sys.executable, str(HERE / "fake_cisco.py"), str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        yield FakeSwitch(port)
    finally:
        stop(proc)
