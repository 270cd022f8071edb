"""Syslog messages received, parsed and stored per second without loss: roomwatch's receiver
(parse, catalog, hash-chained evidence store) against rsyslog imudp -> omfile in the same run,
each pinned to one core and fed by the same paced UDP sender on loopback; then the receiver's
memory under a 10x flood (bounded by its queue).

A step counts as kept up only when nothing was lost AND the last message was stored within
``LAG_S`` of the last one sent: both tools queue in memory (roomwatch's ``queue``, rsyslog's main
queue), so a burst of COUNT messages can be stored without loss by a receiver slower than the
offered rate; the lag tells that apart. "stored/s" is COUNT over first-sent to last-stored.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ is not a package
from tests.procs import free_port

COUNT = 100_000
LAG_S = 0.3     # the last message stored at most this long after the last sent: it kept up
RATES = (10_000, 20_000, 30_000, 40_000, 60_000, 80_000)
FLOOD = 10 * COUNT
RSYSLOG_CONF = """\
global(workDirectory="{work}" maxMessageSize="64k")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{port}" rcvbufSize="8m")  # as roomwatch asks for
action(type="omfile" file="{out}" template="RSYSLOG_FileFormat")
"""


def _pin() -> None:
    os.sched_setaffinity(0, {0})  # one core for the receiver; the sender gets the other


class Roomwatch:
    """The receiver in its own process (bench/syslog_parts.py), pinned to core 0."""

    def __init__(self, tmp: Path, queue: int = 200_000) -> None:
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("syslog_parts.py")),
                                      str(tmp), str(queue)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, preexec_fn=_pin)
        assert self.proc.stdout is not None
        self.port = json.loads(self.proc.stdout.readline())["port"]
        self.last: dict[str, Any] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.last = json.loads(line)

    def stored(self) -> int:
        return int(self.last.get("stored", 0))

    def peak_rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


class Rsyslog:
    """rsyslogd with its own config, pid file and work directory, imudp -> omfile, on core 0."""

    def __init__(self, tmp: Path, port: int) -> None:
        self.out = tmp / "rsyslog.out"
        self._offset = self._lines = 0
        conf = tmp / "rsyslog.conf"
        conf.write_text(RSYSLOG_CONF.format(work=tmp, port=port, out=self.out))
        self.port = port
        # its own config, pid file and work directory: never the machine's /etc/rsyslog.conf or /dev/log
        argv = ["rsyslogd", "-n", "-f", str(conf), "-i", str(tmp / "rsyslogd.pid"), "-x"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=_pin)

    def stored(self) -> int:
        """Lines written so far (counted on from where the last call stopped)."""
        if not self.out.exists():
            return 0
        with self.out.open("rb") as fh:
            fh.seek(self._offset)
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                self._lines += chunk.count(b"\n")
                self._offset += len(chunk)
        return self._lines

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _settle(stored: Any, want: int, limit: float = 60.0) -> tuple[int, float]:
    """Wait until ``stored()`` reaches ``want`` or stops growing for a second; (count, wall-clock
    time it last grew)."""
    start = time.monotonic()
    last_change = time.monotonic()
    grew = time.time()
    seen = stored()
    while seen < want and time.monotonic() - last_change < 1.0 and time.monotonic() - start < limit:
        time.sleep(0.02)
        now = stored()
        if now != seen:
            seen, last_change, grew = now, time.monotonic(), time.time()
    return seen, grew


def _run(tool: Any, rate: float, base: int) -> tuple[float, int, float, float]:
    """Offer COUNT messages at ``rate``; (achieved offered rate, messages lost, messages stored per
    second from the first sent to the last stored, seconds the last was stored after the last sent)."""
    sent_rate, began, ended = _send_pinned(tool.port, COUNT, rate)
    got, grew = _settle(tool.stored, base + COUNT)
    return sent_rate, base + COUNT - got, (got - base) / max(grew - began, 1e-6), max(grew - ended, 0.0)


def _send_pinned(port: int, count: int, rate: float) -> tuple[float, float, float]:
    here = str(Path(__file__).resolve().parent)
    code = (f"import os, sys; os.sched_setaffinity(0, {{1}}); sys.path.insert(0, {here!r}); "
            f"from syslog_parts import send; print(*send({port}, {count}, {rate}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         check=True)
    rate_s, began, ended = out.stdout.split()
    return float(rate_s), float(began), float(ended)


def main() -> None:
    """The rate ladder for both tools, the ratio of the best lossless rates, then the flood."""
    if not shutil.which("rsyslogd") or (os.cpu_count() or 1) < 2:
        print("skipped: needs rsyslog (scripts/apt.d/syslog.txt) and two cores")
        return
    best = {"roomwatch": 0.0, "rsyslog": 0.0}       # highest rate kept up without loss
    lossless = {"roomwatch": 0.0, "rsyslog": 0.0}   # highest rate without loss (queues may have hidden a lag)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "rw").mkdir()
        (tmp / "rs").mkdir()
        rw = Roomwatch(tmp / "rw")
        rs = Rsyslog(tmp / "rs", free_port(socket.SOCK_DGRAM))
        try:
            time.sleep(1.0)  # rsyslogd opens its input
            print(f"{COUNT} datagrams per step, each receiver on one core; "
                  f"kept up: no loss, lag <= {LAG_S} s")
            print(f"{'tool':<10} {'offered/s':>10} {'sent/s':>9} {'lost':>7} {'stored/s':>9} {'lag s':>6}")
            peak = {"roomwatch": 0.0, "rsyslog": 0.0}
            base = {"roomwatch": 0, "rsyslog": 0}
            for rate in RATES:
                for name, tool in (("roomwatch", rw), ("rsyslog", rs)):
                    sent, lost, through, lag = _run(tool, rate, base[name])
                    base[name] = tool.stored()
                    peak[name] = max(peak[name], through)
                    print(f"{name:<10} {rate:>10} {sent:>9.0f} {lost:>7} {through:>9.0f} {lag:>6.2f}",
                          flush=True)
                    if lost == 0:
                        lossless[name] = max(lossless[name], sent)
                        if lag <= LAG_S:
                            best[name] = max(best[name], sent)
            rss = rw.peak_rss_mib()
        finally:
            rw.close()
            rs.close()
        ratio = best["roomwatch"] / best["rsyslog"] if best["rsyslog"] else float("nan")
        print(f"best rate kept up without loss: roomwatch {best['roomwatch']:.0f}/s, rsyslog "
              f"{best['rsyslog']:.0f}/s -> ratio {ratio:.2f} (goal >= 0.5; >= 20,000/s)")
        print(f"best rate without loss (a lag allowed): roomwatch {lossless['roomwatch']:.0f}/s, "
              f"rsyslog {lossless['rsyslog']:.0f}/s")
        print(f"stored per second at best: roomwatch {peak['roomwatch']:.0f}, rsyslog {peak['rsyslog']:.0f} "
              f"-> ratio {peak['roomwatch'] / peak['rsyslog']:.2f}")
        (tmp / "flood").mkdir()
        flood = Roomwatch(tmp / "flood", queue=50_000)
        try:
            sent, _, _ = _send_pinned(flood.port, FLOOD, 0)
            got, _ = _settle(flood.stored, FLOOD, limit=120)
            print(f"flood: {FLOOD} datagrams at {sent:.0f}/s, {got} stored, "
                  f"{flood.last.get('dropped', 0)} dropped by the queue bound; peak RSS "
                  f"{flood.peak_rss_mib():.0f} MiB vs {rss:.0f} MiB after the ladder")
        finally:
            flood.close()


if __name__ == "__main__":
    main()
