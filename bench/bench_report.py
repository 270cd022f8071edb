"""Weekly report for 1,000 devices with 1-minute data (issue #7): goal ≤ 10 s and ≤ 500 MB peak.

The week is written once through the real SQLiteStore into bench/results/report-week.db (kept
for reruns). Then ``roomwatch report --week 2026-W47`` runs in a child process, once per format,
and its wall time and peak RSS are compared with the goals, printed as ratios (< 1 meets the goal).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).parent
RESULTS = HERE / "results"
DEVICES, SENSORS, UPSES = 1000, 20, 5
GOAL_S, GOAL_MB = 10.0, 500.0
TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 16, tzinfo=TZ).timestamp()
MINUTES = 7 * 24 * 60


def build(path: Path) -> int:
    """Write the week: up and an uplink's utilisation for every device, sensors, UPSes; a few
    devices down for an hour, one temperature excursion, one on-battery event, alerts for them."""
    from monitor.core.model import Alert, AlertState, Reading, Severity
    from monitor.store.sqlite import SQLiteStore

    kinds = ("switch", "server", "router", "firewall")
    devs = [{"device": f"dev-{i:04d}", "kind": kinds[i % 4], "level": "2", "room": f"R{i % 4}"}
            for i in range(DEVICES)]
    sensors = [{"device": f"th-{i:02d}", "kind": "sensor", "level": "2", "room": f"R{i % 4}"}
               for i in range(SENSORS)]
    upses = [{"device": f"ups-{i}", "kind": "ups", "level": "1", "room": "R0"} for i in range(UPSES)]
    store = SQLiteStore(path, retention_s=3650 * 86400.0, rollup_retention_s=3650 * 86400.0,
                        batch_size=50_000)
    written = 0
    for minute in range(MINUTES):
        ts = START + minute * 60
        batch = []
        for i, dev in enumerate(devs):
            down = i % 100 == 7 and 3000 <= minute < 3060
            batch.append(Reading("up", 0.0 if down else 1.0, dev, ts))
            batch.append(Reading("if_utilization_percent", float((i * 7 + minute) % 90),
                                 {**dev, "ifname": "uplink"}, ts))
        for j, sensor in enumerate(sensors):
            hot = j == 3 and 5000 <= minute < 5040
            batch.append(Reading("temperature_celsius", 29.4 if hot else 22.0 + (minute % 60) / 30,
                                 sensor, ts))
            batch.append(Reading("humidity_percent", 50.0 + (minute % 120) / 20, sensor, ts))
        for k, ups in enumerate(upses):
            battery = k == 1 and 7000 <= minute < 7006
            batch.append(Reading("ups_on_battery", 1.0 if battery else 0.0, ups, ts))
            batch.append(Reading("ups_battery_capacity_percent", 92.0 if battery else 100.0, ups, ts))
        store.write(batch)
        written += len(batch)
    alerts = []
    for i in range(7, DEVICES, 100):
        base = {"rule": "device_down", "labels": devs[i], "severity": Severity.CRITICAL, "value": 0.0,
                "active_at": START + 3000 * 60, "clause": "003:185"}
        alerts.append(Alert(state=AlertState.FIRING, fired_at=START + 3002 * 60, **base))
        alerts.append(Alert(state=AlertState.RESOLVED, fired_at=START + 3002 * 60,
                            resolved_at=START + 3060 * 60, **base))
    store.write_alerts(alerts)
    store.close()
    return written


def run_report(config: Path, fmt: str, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one ``roomwatch report`` child process, its own only."""
    # The command module alone (what `roomwatch report` runs), without the daemon's imports.
    # Peak RSS is the child's own VmHWM, not ru_maxrss: Linux carries the parent's high-water mark
    # into ru_maxrss across fork + exec, so under bench/run.py every format "peaked" at whatever an
    # earlier bench had used in the parent (the 1,392 MB of issue #24; the report itself: ~180 MB).
    script = ("import argparse, sys; from monitor.commands import report; "
              "top = argparse.ArgumentParser(); report.register(top.add_subparsers()); "
              "args = top.parse_args(sys.argv[1:]); rc = args.handler(args); "
              "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')); "
              "print('RSS', hwm.split()[1], file=sys.stderr); "
              "sys.exit(rc)")
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, "report", "--config", str(config), "--week",
                           "2026-W47", "--format", fmt, "--out", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=HERE.parent,
                          env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    rss_kb = int(done.stderr.split("RSS", 1)[1].split()[0])
    return wall, rss_kb / 1024


def main() -> None:
    """Build the week if needed, then time each format."""
    RESULTS.mkdir(exist_ok=True)
    db = RESULTS / "report-week.db"
    if not db.exists():
        began = time.perf_counter()
        tmp = db.with_suffix(".tmp")
        for stale in RESULTS.glob("report-week.tmp*"):
            stale.unlink()
        count = build(tmp)
        tmp.rename(db)
        print(f"   built {count:,} readings in {time.perf_counter() - began:.0f}s → {db}")
    state = RESULTS / "report-state"
    state.mkdir(exist_ok=True)
    config = RESULTS / "report.toml"
    config.write_text(f'state_dir = "{state}"\ndevices = []\n[store.sqlite]\npath = "{db}"\n'
                      f'retention = "3650d"\nrollup_retention = "3650d"\n'
                      '[report]\ntimezone = "Asia/Shanghai"\n', encoding="utf-8")
    print(f"   goal: ≤ {GOAL_S:.0f} s, ≤ {GOAL_MB:.0f} MB peak (ratios < 1 meet it)")
    for fmt in ("json", "md", "html", "pdf"):
        wall, mb = run_report(config, fmt, RESULTS / f"report-W47.{fmt}")
        print(f"   {fmt:5s} {wall:6.2f} s ({wall / GOAL_S:.2f}× goal)   "
              f"{mb:6.0f} MB ({mb / GOAL_MB:.2f}× goal)")


if __name__ == "__main__":
    main()
