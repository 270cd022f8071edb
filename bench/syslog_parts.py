"""Parts of bench_syslog.py: the roomwatch receiver as its own process (run as a script), and the
paced UDP sender both tools are fed by."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LINES = [
    b"<38>Dec  3 16:00:00 web1 sshd[4242]: Failed password for invalid user oracle from 192.0.2.66 port "
    b"50122 ssh2",
    b"<189>Dec  3 2026 16:00:00 core-sw %%01SHELL/5/CMDRECORD(s)[27]:Recorded command information. "
    b'(Task=VT0, Ip=192.0.2.7, VpnName=, User=admin, AuthenticationMethod="Password", Command="display '
    b'interface brief")',
    b"<30>Dec  3 16:00:00 web1 systemd[1]: Started Session 1234 of user alice.",
    b"<165>1 2026-12-03T16:00:00.003Z fw1 kernel - - - IN=eth0 OUT= SRC=192.0.2.9 DST=192.0.2.1 LEN=60 "
    b"PROTO=TCP SPT=41000 DPT=22 SYN",
    b"<86>Dec  3 16:00:00 db1 sudo:   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
    b"COMMAND=/usr/bin/systemctl restart nginx",
]


def send(port: int, count: int, rate: float, source: str = "127.0.0.1") -> tuple[float, float, float]:
    """Send ``count`` datagrams to 127.0.0.1:port at ``rate`` per second (0: as fast as possible),
    each numbered; returns the rate actually achieved and the wall-clock start and end."""
    payloads = [line + b" #%d" % i for i, line in zip(range(count), _cycle(count), strict=True)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        target = ("127.0.0.1", port)
        began = time.time()
        start = time.perf_counter()
        for i in range(0, count, 100):  # pace per 100 datagrams: the clock is read 1% of the time
            for p in payloads[i:i + 100]:
                s.sendto(p, target)
            if rate:
                ahead = start + (i + 100) / rate - time.perf_counter()
                if ahead > 0:
                    time.sleep(ahead)
        elapsed = time.perf_counter() - start
    return count / elapsed, began, time.time()


def _cycle(count: int) -> list[bytes]:
    return [LINES[i % len(LINES)] for i in range(count)]


async def _receive(folder: Path, queue: int) -> None:
    """Run a SyslogListener on udp://127.0.0.1:0 into an evidence store in ``folder``; print the
    port, then ``received stored dropped`` every 100 ms until stdin closes."""
    sys.path.insert(0, str(ROOT))
    from collectors.syslog import SyslogOptions
    from collectors.syslog.receiver import SyslogListener
    from monitor.store.evidence import Evidence

    options = SyslogOptions(enabled=True, listen=["udp://127.0.0.1:0"], rate=1e9, burst=10**9,
                            queue=queue, stats_interval=3600.0)
    listener = SyslogListener(options, {}, device="bench", archive=lambda: Evidence(folder / "syslog.db"))
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(lambda readings: None, stop))
    while not listener.bound:
        await asyncio.sleep(0.01)
    print(json.dumps({"port": next(iter(listener.bound.values()))[1]}), flush=True)
    loop = asyncio.get_running_loop()
    closed = loop.run_in_executor(None, sys.stdin.read)
    while not closed.done():
        print(json.dumps({"received": listener.received, "stored": listener.stored,
                          "dropped": sum(listener.dropped.values()), "queued": len(listener.queue)}),
              flush=True)
        await asyncio.sleep(0.1)
    stop.set()
    await task


if __name__ == "__main__":
    asyncio.run(_receive(Path(sys.argv[1]), int(sys.argv[2])))
