"""Windows servers over WinRM (issue #18): daemon CPU per server poll (server readings and all
eight posture checks from one PowerShell answer) through pywinrm to a loopback WS-Management
listener replaying the recording in a process of its own. The peer is the same recording over
Windows OpenSSH (a real sshd on loopback running the shim): the ratio is what WinRM costs the
daemon compared with SSH. Sessions are sequential, as one server's polls are."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

POLLS = 50
NOW = 1_796_300_000.0
PASSWORD = "bench-only-7"
ROOT = Path(__file__).resolve().parent.parent
RECORDING = ROOT / "tests/collectors/posture/data/windows_ps51_en.json"

LISTENER = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(ROOT)!r})
from tests.collectors.wsman.wsman import listening
with listening(Path(sys.argv[1]), username="roomwatch", password={PASSWORD!r},
               stdout=Path({str(RECORDING)!r}).read_bytes()) as wsman:
    print(wsman.endpoint, wsman.ca_file, flush=True)
    sys.stdin.read()  # until the bench closes stdin
"""


def _poll_all(collector: object) -> float:
    async def run() -> None:
        for i in range(POLLS):
            readings = await collector.collect(NOW + i)  # type: ignore[attr-defined]
            assert any(r.metric == "memory_percent" for r in readings), readings[:3]
    start = time.process_time()
    asyncio.run(run())
    return (time.process_time() - start) / POLLS * 1000


def main() -> None:
    from collectors import winrm
    from collectors.base import Shared
    from collectors.posture.collector import PostureCollector
    from collectors.posture.options import PostureOptions
    from tests.collectors.posture.conftest import trusted
    from tests.collectors.posture.test_windows_recording import _shim
    from tests.collectors.ssh.conftest import running_sshd

    with tempfile.TemporaryDirectory(prefix="rw-bench-winrm-") as tmp:
        work = Path(tmp)
        work.chmod(0o777)  # the shim runs as sshd's throw-away user
        listener = subprocess.Popen([sys.executable, "-c", LISTENER, str(work)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True)
        try:
            assert listener.stdout is not None
            endpoint, ca = listener.stdout.readline().split()
            port = int(endpoint.rsplit(":", 1)[1].split("/")[0])
            options = winrm.Options(username="roomwatch", password=PASSWORD, auth="basic", https=True,
                                    port=port, ca_file=Path(ca))
            device = SimpleNamespace(name="win-old-01", address="127.0.0.1", port=None, kind="server",
                                     posture=None, transport="winrm")
            over_winrm = winrm.build(device, options, Shared(state_dir=lambda: work / "state"))
            winrm_ms = _poll_all(over_winrm)
        finally:
            listener.communicate("", timeout=30)
        with running_sshd(_shim(work, RECORDING.name)) as sshd:
            target = trusted(sshd, work / "known_hosts")
            over_ssh = PostureCollector("win-01", PostureOptions(), state_dir=work / "state", target=target,
                                        os="windows", server=True)
            ssh_ms = _poll_all(over_ssh)
    print(f"{POLLS} Windows server polls each (readings + 8 posture checks, {RECORDING.name}, "
          f"{len(json.loads(RECORDING.read_text()))} fields)")
    print(f"  daemon CPU per poll over WinRM (pywinrm, basic over TLS)  {winrm_ms:7.1f} ms")
    print(f"  peer: over Windows OpenSSH (paramiko, real sshd + shim)   {ssh_ms:7.1f} ms")
    print(f"  winrm/ssh ratio {winrm_ms / max(ssh_ms, 1e-6):.2f}")
