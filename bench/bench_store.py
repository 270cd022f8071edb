"""Write throughput of SQLiteStore against a bare executemany, and a week's rollup query time."""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

SERIES = 10_000
ROUNDS = 100  # 10,000 series x 100 scrapes = 1,000,000 points
STEP = 60.0
T0 = 1_700_000_000.0
WEEK_SERIES = 1_000  # the rollup bench: 1,000 series, one point every 10 minutes for a week


def _labels(i: int) -> dict[str, str]:
    # 500 switches x 20 ports: the shape of an interface-heavy machine room.
    return {"device": f"sw{i // 20:03d}", "ifname": f"GigabitEthernet0/{i % 20}"}


def bench_roomwatch(tmp: Path) -> tuple[float, int]:
    """Seconds to write, flush and roll up every point through SQLiteStore (scheduler-sized
    writes)."""
    from monitor.core.model import Reading
    from monitor.store.sqlite import SQLiteStore
    from monitor.store.sqlite_buckets import GRACE_S

    labels = [_labels(i) for i in range(SERIES)]
    rounds = [[Reading("if_in_bps", float(r * i % 977), labels[i], T0 + r * STEP) for i in range(SERIES)]
              for r in range(ROUNDS)]
    path = tmp / "roomwatch.db"
    store = SQLiteStore(path)
    start = time.perf_counter()
    for readings in rounds:  # one write per scrape of every device, as the scheduler does
        store.write(readings)
    store.flush()
    # Close every step written (move to samples, rollups by GROUP BY), as newer points would:
    # each point pays for its rollup inside the timed span.
    store.seal(T0 + ROUNDS * STEP + 3600.0 + GRACE_S)
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed, path.stat().st_size


def bench_raw(tmp: Path) -> tuple[float, int]:
    """Seconds for the same rows, prepared beforehand, in a flat table: the practical limit."""
    from monitor.store.sqlite_schema import labels_json

    texts = [labels_json(_labels(i)) for i in range(SERIES)]
    rows = [("if_in_bps", texts[i], T0 + r * STEP, float(r * i % 977))
            for r in range(ROUNDS) for i in range(SERIES)]
    path = tmp / "raw.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE flat (metric TEXT, labels TEXT, ts REAL, value REAL)")
    start = time.perf_counter()
    for i in range(0, len(rows), 5000):  # the store's default batch size
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO flat VALUES (?, ?, ?, ?)", rows[i:i + 5000])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed, path.stat().st_size


def bench_week(tmp: Path) -> tuple[float, float, int]:
    """Seconds to read a week of hourly rollups: a whole metric, and one device's series."""
    from monitor.core.model import Reading
    from monitor.store.sqlite import SQLiteStore

    labels = [_labels(i) for i in range(WEEK_SERIES)]
    with SQLiteStore(tmp / "week.db") as store:
        for step in range(7 * 24 * 6):
            ts = T0 + step * 600.0
            store.write([Reading("if_in_bps", float(step % 50 + i), labels[i], ts)
                         for i in range(WEEK_SERIES)])
        store.flush()
        end = T0 + 7 * 86400.0
        start = time.perf_counter()
        rows = store.rollups("if_in_bps", T0, end)
        whole = time.perf_counter() - start
        start = time.perf_counter()
        store.rollups("if_in_bps", T0, end, {"device": "sw007"})
        one = time.perf_counter() - start
    return whole, one, len(rows)


def main() -> None:
    """Print points/s of SQLiteStore and of a bare executemany, their ratio, and query times."""
    points = SERIES * ROUNDS
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        ours, our_size = bench_roomwatch(tmp)
        raw, raw_size = bench_raw(tmp)
        whole, one, n = bench_week(tmp)
    print(f"write {points:,} points over {SERIES:,} series (batch 5000, WAL, synchronous=NORMAL;"
          " roomwatch's time includes closing every step written: its rollups)")
    print(f"  roomwatch SQLiteStore   {points / ours:>10,.0f} points/s  {ours:6.2f} s  "
          f"{our_size / points:5.1f} B/point (samples + rollups + series)")
    print(f"  raw flat executemany    {points / raw:>10,.0f} points/s  {raw:6.2f} s  "
          f"{raw_size / points:5.1f} B/point (rows prepared beforehand, no index)")
    print(f"  roomwatch/raw           {raw / ours:>10.2f}")
    print(f"rollups for one week, {WEEK_SERIES:,} series of one metric ({n:,} rows): {whole * 1000:.1f} ms;"
          f" one device (20 series): {one * 1000:.1f} ms")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
