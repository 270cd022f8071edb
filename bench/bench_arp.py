"""Passive ARP: roomwatch's ArpListener against Debian's arpwatch on the same bursts.

Two network namespaces joined by a veth pair (198.18.0.0/15, the benchmarking range; nothing
leaves them). The same burst (30 000 frames: registered hosts' requests, with one frame from a
new, unregistered station every 100th) is replayed at rising rates, first to roomwatch, then
to arpwatch (seeded with the registered pairs, so it too reports only the newcomers). Reported
per tool and rate: new stations reported out of those sent (loss), the receiver's frame rate,
and detection latency (report time minus send time). Ratios are roomwatch / arpwatch.
Run as root: ``python bench/run.py arp``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N_FRAMES, EVERY, N_HOSTS = 30_000, 100, 200
RATES = (5_000, 20_000, 50_000, 0)  # frames per second; 0 = as fast as the sender can
SETTLE_S = 3.0


def _host(i: int) -> tuple[str, str]:
    return f"198.18.{i // 250}.{i % 250 + 1}", f"02:00:00:aa:{i // 256:02x}:{i % 256:02x}"


def _newcomer(i: int) -> tuple[str, str]:
    return f"198.18.{100 + i // 250}.{i % 250 + 1}", f"02:00:00:bb:{i // 256:02x}:{i % 256:02x}"


SENDER = r"""
import json, socket, sys, time
n, every, hosts, rate = (int(a) for a in sys.argv[1:5])
def frame(ip, mac, target="198.18.255.254"):
    m = bytes.fromhex(mac.replace(":", ""))
    return (b"\xff" * 6 + m + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x01" + m
            + socket.inet_aton(ip) + b"\x00" * 6 + socket.inet_aton(target))
def host(i): return f"198.18.{i // 250}.{i % 250 + 1}", f"02:00:00:aa:{i // 256:02x}:{i % 256:02x}"
def new(i): return f"198.18.{100 + i // 250}.{i % 250 + 1}", f"02:00:00:bb:{i // 256:02x}:{i % 256:02x}"
frames, marks = [], {}
for k in range(n):
    if k % every == every - 1:
        ip, mac = new(k // every)
        marks[k] = mac
    else:
        ip, mac = host(k % hosts)
    frames.append(frame(ip, mac))
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind(("v1", 0))
sent, start = {}, time.perf_counter()
wall0 = time.time()
for k, raw in enumerate(frames):
    if rate:
        due = start + k / rate
        while time.perf_counter() < due:
            pass
    sock.send(raw)
    if k in marks:
        sent[marks[k]] = wall0 + (time.perf_counter() - start)
elapsed = time.perf_counter() - start
print(json.dumps({"sent": sent, "elapsed": elapsed}))
"""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


class _Lines:
    """Reads a process's output in a thread, stamping each line with the time it arrived."""

    def __init__(self, stream: object) -> None:
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append((time.time(), line.rstrip("\n")))


def _run_roomwatch(ns: str, registry: Path) -> tuple[subprocess.Popen[str], _Lines]:
    proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, __file__, "--roomwatch", "v0",
                             str(registry)], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = _Lines(proc.stdout)
    deadline = time.time() + 15
    while not any(text == "ready" for _, text in lines.lines) and time.time() < deadline:
        time.sleep(0.05)
    return proc, lines


def _run_arpwatch(ns: str, tmp: Path) -> tuple[subprocess.Popen[str], _Lines]:
    now = int(time.time())
    dat = tmp / "arp.dat"
    dat.write_text("".join(f"{_host(i)[1]}\t{_host(i)[0]}\t{now}\n" for i in range(N_HOSTS)))
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "stdbuf", "-oL", "arpwatch", "-d", "-i", "v0",
                             "-f", str(dat)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = _Lines(proc.stdout)
    time.sleep(1.5)  # arpwatch says nothing when it is ready
    return proc, lines


def _reports(tool: str, lines: _Lines) -> dict[str, float]:
    """MAC -> when its new-station report arrived."""
    out: dict[str, float] = {}
    if tool == "roomwatch":
        for at, text in lines.lines:
            if text.startswith("{"):
                doc = json.loads(text)
                if doc.get("metric") == "arp_unknown_mac":
                    out.setdefault(doc["labels"]["mac"], at)
        return out
    pending = False
    for at, text in lines.lines:
        if text.startswith("Subject: new station"):
            pending = True
        elif pending and "ethernet address:" in text:
            out.setdefault(text.split("ethernet address:")[1].strip(), at)
            pending = False
    return out


def _one(rate: int, ns: dict[str, str], tmp: Path, registry: Path) -> dict[str, dict[str, float]]:
    """One burst at ``rate`` to both tools at once; per tool its loss and latencies."""
    started: dict[str, tuple[subprocess.Popen[str], _Lines]] = {}
    try:
        started["roomwatch"] = _run_roomwatch(ns["dst"], registry)
        started["arpwatch"] = _run_arpwatch(ns["dst"], tmp)
        done = subprocess.run(["ip", "netns", "exec", ns["src"], sys.executable, "-c", SENDER, str(N_FRAMES),
                               str(EVERY), str(N_HOSTS), str(rate)], capture_output=True, text=True,
                              timeout=120, check=True)
        result = json.loads(done.stdout)
        sent: dict[str, float] = result["sent"]
        deadline = time.time() + SETTLE_S
        while (any(len(_reports(tool, lines)) < len(sent) for tool, (_, lines) in started.items())
               and time.time() < deadline):
            time.sleep(0.05)
    finally:
        for proc, _ in started.values():
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    out: dict[str, dict[str, float]] = {}
    for tool, (_, lines) in started.items():
        got = _reports(tool, lines)
        lat = sorted(got[m] - t for m, t in sent.items() if m in got)
        out[tool] = {"rate": N_FRAMES / result["elapsed"], "found": len(lat), "expected": len(sent),
                     "p50": statistics.median(lat) if lat else float("nan"),
                     "p99": lat[int(0.99 * (len(lat) - 1))] if lat else float("nan"),
                     "max": lat[-1] if lat else float("nan")}
    return out


def main() -> None:
    """Run the ladder of rates for both tools and print the table and the ratios."""
    if os.geteuid() != 0 or not shutil.which("arpwatch") or not shutil.which("ip"):
        print("skipped: needs root, iproute2 and arpwatch (scripts/apt.d/arp.txt)")
        return
    tag = uuid.uuid4().hex[:6]
    ns = {"src": f"rwb{tag}-src", "dst": f"rwb{tag}-dst"}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        registry = tmp / "bindings.csv"
        registry.write_text("ip,mac\n" + "".join(f"{ip},{mac}\n" for ip, mac in map(_host, range(N_HOSTS))))
        try:
            for name in ns.values():
                _ip("netns", "add", name)
            _ip("link", "add", "v0", "netns", ns["dst"], "type", "veth", "peer", "name", "v1",
                "netns", ns["src"])
            _ip("-n", ns["dst"], "addr", "add", "198.18.255.254/15", "dev", "v0")
            for name, dev in ((ns["dst"], "v0"), (ns["src"], "v1")):
                _ip("-n", name, "link", "set", dev, "up")
            best: dict[str, float] = {}
            worst_p99: dict[str, float] = {}
            print(f"{N_FRAMES} frames, one new station in every {EVERY} ({N_FRAMES // EVERY} to find)")
            print(f"{'tool':<10} {'offered':>9} {'sent/s':>9} {'found':>9} {'p50 ms':>8} {'p99 ms':>8} "
                  f"{'max ms':>8}")
            for rate in RATES:
                for tool, r in _one(rate, ns, tmp, registry).items():
                    offered = f"{rate}" if rate else "max"
                    found = f"{int(r['found']):>5}/{int(r['expected']):<3}"
                    print(f"{tool:<10} {offered:>9} {r['rate']:>9.0f} {found} {r['p50'] * 1e3:>8.1f} "
                          f"{r['p99'] * 1e3:>8.1f} {r['max'] * 1e3:>8.1f}", flush=True)
                    if r["found"] == r["expected"]:
                        best[tool] = max(best.get(tool, 0.0), r["rate"])
                        worst_p99[tool] = max(worst_p99.get(tool, 0.0), r["p99"])
        finally:
            for name in ns.values():
                subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)
    rw, aw = best.get("roomwatch", 0.0), best.get("arpwatch", 0.0)
    print(f"highest loss-free rate: roomwatch {rw:.0f}/s, arpwatch {aw:.0f}/s, "
          f"ratio {rw / aw if aw else float('inf'):.2f}x")
    if "roomwatch" in worst_p99 and "arpwatch" in worst_p99:
        rw99, aw99 = worst_p99["roomwatch"], worst_p99["arpwatch"]
        print(f"worst p99 latency when loss-free: roomwatch {rw99 * 1e3:.1f} ms, arpwatch "
              f"{aw99 * 1e3:.1f} ms, ratio {rw99 / aw99:.2f}x")


def _roomwatch(iface: str, registry: str) -> None:
    """Receiver side (inside the namespace): ArpListener printing readings as JSON lines."""
    import asyncio

    from collectors.arp import ArpOptions
    from collectors.arp.sniff import ArpListener
    from monitor.core import bindings
    reg = bindings.load(Path(registry), bindings.BindingsSettings())
    listener = ArpListener(ArpOptions(interfaces=[iface], flood_pps=1_000_000), reg, device="bench")

    def emit(readings: list) -> None:
        at = time.time()
        for r in readings:
            if r.metric == "arp_capture_up":
                print("ready", flush=True)
            else:
                print(json.dumps({"metric": r.metric, "labels": dict(r.labels), "at": at}), flush=True)

    async def run() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await listener.run(emit, stop)

    asyncio.run(run())
    print(json.dumps({"frames": listener.frames, "dropped": listener.dropped}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--roomwatch":
        _roomwatch(sys.argv[2], sys.argv[3])
    else:
        main()
