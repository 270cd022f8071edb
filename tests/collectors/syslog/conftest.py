"""A SyslogListener on free loopback ports (UDP, TCP, TLS) with a real evidence store, run on its
own event loop thread; real senders: util-linux ``logger`` and ``rsyslogd`` started with its own
config, pid file and work directory in a temporary directory (never the machine's /dev/log or
/etc/rsyslog.conf), forwarding on loopback, stopped after."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from collectors.syslog import SyslogOptions
from collectors.syslog.receiver import SyslogListener
from monitor.core.model import Reading
from monitor.store.evidence import Evidence
from tests.collectors.traps.conftest import run_listener
from tests.procs import free_port, stop

SWITCH, HEALTHY, FLOODER = "127.0.0.1", "127.0.0.3", "127.0.0.2"
DEVICES = {SWITCH: {"device": "core-sw", "kind": "switch", "level": "1", "room": "A"},
           HEALTHY: {"device": "web1", "kind": "server", "level": "2", "room": "A"}}


@dataclass
class Syslogd:
    """The running receiver, what it emitted, and its evidence database."""

    listener: SyslogListener
    db: Path
    readings: list[Reading] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def emit(self, readings: list[Reading]) -> None:
        with self.cond:
            self.readings.extend(readings)

    def port(self, scheme: str) -> int:
        [url] = [u for u in self.listener.bound if u.startswith(scheme + "://")]
        return self.listener.bound[url][1]

    def wait_for(self, pred: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            assert time.monotonic() < deadline, "timed out waiting for the receiver"
            time.sleep(0.05)

    def stored(self, like: str = "") -> list[tuple[str, str, int, str, int]]:
        """(device, text, severity, event, truncated) of stored messages whose text has ``like``."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
            return db.execute("SELECT device, text, severity, event, truncated FROM messages "
                              "WHERE instr(text, ?) > 0 ORDER BY id", (like,)).fetchall()

    def events(self, metric: str) -> list[Reading]:
        with self.cond:
            return [r for r in self.readings if r.metric == metric]


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A throw-away self-signed certificate for localhost / 127.0.0.1 and its key."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed (scripts/apt.d/syslog.txt)")
    return make_cert(tmp_path_factory.mktemp("tls"))


def start(tmp_path: Path, cert: tuple[Path, Path], archive: Callable[[], Any] | None = None,
          devices: dict[str, dict[str, str]] | None = None,
          **options: object) -> tuple[Syslogd, Callable[[], None]]:
    """A receiver on udp/tcp/tls loopback ports with ``options`` (inventory ``devices``, by
    default DEVICES); returns it and its stopper."""
    conf = SyslogOptions(enabled=True, listen=["udp://127.0.0.1:0", "tcp://127.0.0.1:0", "tls://127.0.0.1:0"],
                         tls_cert=cert[0], tls_key=cert[1], stats_interval=0.2, **options)  # type: ignore[arg-type]
    db = tmp_path / "syslog.db"
    archive = archive or (lambda: Evidence(db))
    state = Syslogd(SyslogListener(conf, DEVICES if devices is None else devices, device="nms",
                                   archive=archive), db)
    halt = run_listener(state.listener, state.emit)
    state.wait_for(lambda: len(state.listener.bound) == 3)
    return state, halt


@pytest.fixture
def syslogd(tmp_path: Path, cert: tuple[Path, Path]) -> Iterator[Syslogd]:
    state, halt = start(tmp_path, cert)
    try:
        yield state
    finally:
        halt()


def logger(port: int, *args: str | bytes, stdin: bytes | None = None) -> None:
    """util-linux logger sending one message to 127.0.0.1:port."""
    if not shutil.which("logger"):
        pytest.skip("logger is not installed (bsdutils)")
    subprocess.run(["logger", "-n", "127.0.0.1", "-P", str(port), *args], input=stdin, check=True,
                   capture_output=True, timeout=20)


RSYSLOG_CONF = """\
global(workDirectory="{work}" maxMessageSize="128k"
       defaultNetstreamDriverCAFile="{ca}")
module(load="imudp")
template(name="rfc5424" type="string"
         string="<%PRI%>1 %TIMESTAMP:::date-rfc3339% core-sw %APP-NAME% - - - %msg%")
ruleset(name="viaudp") {{ action(type="omfwd" target="127.0.0.1" port="{udp}" protocol="udp") }}
ruleset(name="viatcp") {{ action(type="omfwd" target="127.0.0.1" port="{tcp}" protocol="tcp"
                                  TCP_Framing="octet-counted" template="rfc5424") }}
ruleset(name="viatls") {{ action(type="omfwd" target="127.0.0.1" port="{tls}" protocol="tcp"
                                  StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
                                  StreamDriverPermittedPeers="localhost") }}
input(type="imudp" address="127.0.0.1" port="{in_udp}" ruleset="viaudp")
input(type="imudp" address="127.0.0.1" port="{in_tcp}" ruleset="viatcp")
input(type="imudp" address="127.0.0.1" port="{in_tls}" ruleset="viatls")
"""


@dataclass
class Rsyslog:
    """rsyslogd forwarding what arrives on its three UDP inputs over UDP, TCP and TLS."""

    inputs: dict[str, int]


@pytest.fixture
def rsyslog(tmp_path: Path, syslogd: Syslogd, cert: tuple[Path, Path]) -> Iterator[Rsyslog]:
    binary = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    if not Path(binary).exists():
        pytest.skip("rsyslog is not installed (scripts/apt.d/syslog.txt)")
    work = tmp_path / "rsyslog"
    work.mkdir()
    inputs = {t: free_port(socket.SOCK_DGRAM) for t in ("udp", "tcp", "tls")}
    conf = work / "rsyslog.conf"
    conf.write_text(RSYSLOG_CONF.format(
        work=work, ca=cert[0], udp=syslogd.port("udp"), tcp=syslogd.port("tcp"), tls=syslogd.port("tls"),
        in_udp=inputs["udp"], in_tcp=inputs["tcp"], in_tls=inputs["tls"]))
    check = subprocess.run([binary, "-N1", "-f", str(conf)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([binary, "-n", "-f", str(conf), "-i", str(work / "rsyslogd.pid"), "-x"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield Rsyslog(inputs)
    finally:
        stop(proc)
