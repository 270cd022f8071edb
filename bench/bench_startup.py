"""Start-up: time from launching the daemon to its first log line, against ``python -c pass``.

The peer is the floor every Python program pays (interpreter and site start), measured in the
same run, interleaved, so the ratio holds on a loaded box. Measured: ``python -m monitor.cli run``
to its first log line and to ``started`` (config read, every part wired: the imports the config
needs), ``scripts/run`` when ./.venv is current (its stamp check plus the first line), and
``roomwatch --help``. Each is the median of RUNS; the daemon monitors only
this host into a temporary state directory and is stopped at its first line.
"""

from __future__ import annotations

import os
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
LIMIT = 60.0  # seconds: a start that takes longer is reported as failed, not waited for


def _first_line(argv: list[str], env: dict[str, str], marker: str = "") -> float:
    """Seconds from spawn to the first line on stdout or stderr holding ``marker``; the process
    is then stopped."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    assert proc.stdout is not None
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while time.perf_counter() - start < LIMIT:
                if sel.select(timeout=1.0) and marker.encode() in proc.stdout.readline():
                    return time.perf_counter() - start
                if proc.poll() is not None:
                    raise RuntimeError(f"{argv[-3:]} exited with {proc.returncode} before a line")
        raise RuntimeError(f"{argv[-3:]}: no line within {LIMIT:g}s")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        proc.stdout.close()


def _exits(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True, timeout=LIMIT)
    return time.perf_counter() - start


def main() -> None:
    """Print the medians and their ratios to the floor."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMWATCH_")}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        config = Path(tmp) / "roomwatch.toml"
        config.write_text(f'state_dir = "{tmp}/state"\n', encoding="utf-8")
        daemon = [sys.executable, "-m", "monitor.cli", "run", "--config", str(config)]
        runs: dict[str, tuple[list[str], str | None]] = {
            "python -c pass (floor)": ([sys.executable, "-c", "pass"], None),
            "roomwatch run: first log line": (daemon, ""),
            "roomwatch run: 'started' (wired)": (daemon, "monitor.daemon: started"),
            "roomwatch --help": ([sys.executable, "-m", "monitor.cli", "--help"], None),
        }
        current = subprocess.run([str(ROOT / "scripts" / "venv"), "--status"], cwd=ROOT,
                                 capture_output=True, text=True).returncode == 0
        if current:
            run = [str(ROOT / "scripts" / "run"), "--config", str(config)]
            runs["scripts/run: first log line"] = (run, "")
        else:
            print("   scripts/run not measured: ./.venv is not current (scripts/venv --status)")
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(RUNS):  # interleaved: a burst of load from other work hits every peer alike
            for name, (argv, marker) in runs.items():
                times[name].append(_exits(argv, env) if marker is None else _first_line(argv, env, marker))
    floor = statistics.median(times["python -c pass (floor)"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"   {name:<34} median {median * 1000:7.0f} ms  ({median / floor:5.1f}x the floor; "
              f"min {min(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms, {RUNS} runs)")


if __name__ == "__main__":
    main()
