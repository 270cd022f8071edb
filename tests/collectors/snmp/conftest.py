"""Real SNMP agents on loopback: snmpsim serving recordings, Debian's snmpd with a v3 user, and a
port that never answers.

Recordings come from PyPI ``snmpsim-data`` (decompressed into a tmp dir; the community is the file
name) plus our own in ``data/``: ``apc-smart-ups`` is written from PowerNet-MIB by hand, because
the ``UPS/apc-*`` recordings in snmpsim-data are rack PDUs, not UPSes; ``minimal`` is a device
with most columns missing; ``hillstone-sg6000-handmade`` is written from HILLSTONE-SYSTEM-MIB
(snmpsim-data has no Hillstone device), ``apc-ats-handmade`` from PowerNet-MIB's ats group (an ATS
whose source A failed, running on B); ``cisco-c3560@N`` are the BRIDGE-MIB views of VLAN N that a
Cisco switch serves to community ``community@N`` (hand-written: snmpsim-data records only the
default view, whose CISCO-VTP-MIB lists VLANs 1, 2, 3 and 1119). The three-phase UPS is
snmpsim-data's ``UPS/eaton-93e-80`` (RFC 1628 tables with three rows each); ``ups-three-phase-bypass`` is
written by hand from RFC 1628 (snmpsim-data has no three-phase UPS in trouble): on bypass, phase
L3 of the input lost, L2 of the output at 86 % load. ``akcp-sensorprobe2-handmade`` and
``akcp-securityprobe5e-handmade`` are written from AKCP's SPAGENT-MIB (snmpsim-data has no 动环
host): sensorProbe and securityProbe sensor tables with sensors in alarm, in error, offline and in °F;
``akcp-sp2plus-handmade`` from its plusSeries tables;
``netbotz750-handmade`` from NetBotz50-MIB (a leak, an open rear door, unplugged sensors) and
``netbotz450-handmade`` from NETBOTZ410-MIB.
"""

from __future__ import annotations

import bz2
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.procs import stop

DATA = Path(__file__).parent / "data"
RECORDINGS = (
    "network/router/huawei-s5720",
    "network/switch/h3c-comware-lsq1wcmd0",
    "network/switch/cisco-c3560",
    "network/switch/ruijie-s5750-24gt12sfp",
    "network/firewall/sangfor-ad1800-fp2",
    "network/firewall/paloalto-pa-5000",
    "UPS/huawei-gse200m",
    "UPS/eaton-93e-80",
    "UPS/phoenixtec-power",
    "iot/geist-temperature-sensor",
    "network/firewall/fortinet-xcu",
    "network/firewall/topsec-ngfw4000-uf",
    "network/switch/bdcom-s5612",
    "network/switch/dcrs-5980-28t-dc",
    "network/switch/maipu-sm4200-16gef8ge-ac",
    "network/switch/dlink-des3200",
    "network/switch/dlink-des3038",
    "network/switch/zte-zxr10-5250",
)
# Large recordings are served trimmed to what the collector reads (system group, IF-MIB,
# HOST-RESOURCES, ENTITY names and sensors, and the vendor subtree of the profile): snmpsim
# indexes every line at start, and fortinet-xcu alone has 450,000 (session tables).
_STANDARD = ("1.3.6.1.2.1.1.", "1.3.6.1.2.1.2.", "1.3.6.1.2.1.31.1.1.", "1.3.6.1.2.1.25.",
             "1.3.6.1.2.1.47.1.1.1.1.7.", "1.3.6.1.2.1.99.")
TRIMMED = {
    "fortinet-xcu": ("1.3.6.1.4.1.12356.101.4.",),
    "bdcom-s5612": ("1.3.6.1.4.1.3320.3.6.",),
    "dcrs-5980-28t-dc": ("1.3.6.1.4.1.6339.100.1.",),
    "dlink-des3200": ("1.3.6.1.4.1.171.12.1.", "1.3.6.1.4.1.171.12.11."),
    "zte-zxr10-5250": ("1.3.6.1.4.1.3902.15.2.30.1.", "1.3.6.1.4.1.3902.3.3.1.1."),
}
V3_USER, V3_AUTH, V3_PRIV = "rwatch", "auth-Pass-8412", "priv-Pass-5517"


@dataclass
class Agent:
    """An agent on 127.0.0.1:port."""

    port: int
    communities: tuple[str, ...] = ()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_answer(port: int, community: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    from ezsnmp import Session

    session = Session(hostname="127.0.0.1", port_number=str(port), community=community, version="2c",
                      timeout="1", retries="0")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"agent exited with {proc.returncode}")
        try:
            session.get(["1.3.6.1.2.1.1.3.0"])
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError("agent did not answer in time")


@pytest.fixture(scope="session")
def snmpsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    """snmpsim on a loopback port serving every recording; community = recording file name."""
    snmpsim_data = pytest.importorskip("snmpsim_data")
    exe = Path(sys.executable).parent / "snmpsim-command-responder"
    if not exe.exists():
        pytest.skip("snmpsim is not installed (pip install .[test])")
    root = tmp_path_factory.mktemp("snmpsim")
    data = root / "data"
    data.mkdir()
    source = Path(snmpsim_data.__file__).parent / "data"
    for rec in RECORDINGS:
        name = rec.rsplit("/", 1)[1]
        plain = source / f"{rec}.snmprec"
        text = plain.read_bytes() if plain.exists() else bz2.decompress(
            (source / f"{rec}.snmprec.bz2").read_bytes())
        if name in TRIMMED:
            keep = tuple(p.encode() for p in (*_STANDARD, *TRIMMED[name]))
            text = b"".join(line for line in text.splitlines(keepends=True) if line.startswith(keep))
        (data / f"{name}.snmprec").write_bytes(text)
    for own in DATA.glob("*.snmprec"):
        shutil.copy(own, data / own.name)
    port = free_udp_port()
    env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}
    proc = subprocess.Popen(
        [str(exe), f"--data-dir={data}", f"--cache-dir={root / 'cache'}", "--logging-method=null",
         f"--agent-udpv4-endpoint=127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=(root / "stderr").open("wb"))
    try:
        _wait_answer(port, "minimal", proc, time.monotonic() + 90)
        yield Agent(port, tuple(p.stem for p in data.glob("*.snmprec")))
    finally:
        stop(proc)


@contextmanager
def running_snmpd(root: Path, users: str) -> Iterator[Agent]:
    """Debian's snmpd on a loopback port with its config and state in ``root``: v2c community
    ``rw-public`` plus ``users`` (createUser/rouser lines)."""
    exe = shutil.which("snmpd") or "/usr/sbin/snmpd"
    if not Path(exe).exists():
        pytest.skip("snmpd not installed (scripts/apt.d/snmp.txt)")
    port = free_udp_port()
    conf = root / "snmpd.conf"
    conf.write_text(
        f"agentaddress udp:127.0.0.1:{port}\n"
        "smuxsocket 127.0.0.1\n"          # else it also listens on 0.0.0.0:199
        "agentxsocket /dev/null\n"
        "rocommunity rw-public 127.0.0.1\n"
        f"{users}"
        "sysName roomwatch-test\n", encoding="utf-8")
    persist = root / "persist"
    persist.mkdir()
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(persist), "SNMPCONFPATH": str(root)}
    proc = subprocess.Popen([exe, "-f", "-C", "-c", str(conf), "-Le", "-p", str(root / "pid")],
                            env=env, stdout=subprocess.DEVNULL, stderr=(root / "stderr").open("wb"))
    try:
        _wait_answer(port, "rw-public", proc, time.monotonic() + 30)
        yield Agent(port, ("rw-public",))
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    """Debian's snmpd on loopback only, v2c community ``rw-public`` and a v3 authPriv user."""
    users = f"createUser {V3_USER} SHA \"{V3_AUTH}\" AES \"{V3_PRIV}\"\nrouser {V3_USER} priv\n"
    with running_snmpd(tmp_path_factory.mktemp("snmpd"), users) as agent:
        yield agent


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A bound loopback UDP port that reads and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        yield int(s.getsockname()[1])
