"""Latency of a threshold crossing, reading → HTTP request at a local receiver, judged on arrival
versus judged at the next evaluation tick (the peer, in the same run).

The regulation pack, the real dispatcher (``urls`` shorthand: group_wait 0) and apprise posting
to a loopback receiver. Each run hands one breaching sensor reading to the engine at a random
moment: on arrival it is evaluated at once (the daemon's sink does this when ``engine.touched``);
the peer waits for the next tick of a 1 s evaluation loop (the daemon's default is 10 s, scaled
down so the bench stays short; the expected wait grows with the interval). Goal: p99 < 1 s.
Run: ``python bench/run.py arrival``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

RUNS, TICK = 40, 1.0


async def _one(engine, d, sink, device: str, *, tick: float | None, rng: random.Random) -> float:  # type: ignore[no-untyped-def]
    from monitor.core.model import Reading

    await asyncio.sleep(rng.random() * (tick or 0.05))  # a random phase of the tick
    before = sink.count()
    start = time.perf_counter()
    engine.ingest([Reading("temperature_celsius", 31.0, {"device": device, "kind": "sensor",
                                                        "sensor": "t1"}, time.time())])
    if tick is not None:  # the peer: the evaluation loop's next tick
        now = time.monotonic()
        await asyncio.sleep(math.ceil(now / tick) * tick - now)
    if engine.touched or tick is not None:
        d.submit(engine.evaluate(time.time()), time.time())
        await d.deliver(time.time())
    while sink.count() == before:
        await asyncio.sleep(0.001)
    return time.perf_counter() - start


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    """Print p50/p99 on arrival and at the tick, and their ratio."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from alerts.channels import from_settings
    from alerts.config import NotifySettings
    from alerts.dispatch import Dispatcher
    from alerts.outbox import Outbox
    from bench.bench_notify import Sink
    from rules.engine import Engine
    from rules.loader import load_pack

    logging.disable(logging.WARNING)
    sink = Sink()
    rng = random.Random(16)
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, tick in (("on arrival", None), (f"at the next {TICK:g} s tick", TICK)):
            settings = NotifySettings.model_validate({"urls": [f"json://127.0.0.1:{sink.port}/"]})
            d = Dispatcher(Outbox(Path(tmp) / f"{tick}.db"), from_settings(settings), settings=settings)
            engine = Engine(load_pack("regulation"))

            async def runs(engine=engine, d=d, tick=tick) -> list[float]:  # type: ignore[no-untyped-def]
                return [await _one(engine, d, sink, f"th-{i}", tick=tick, rng=rng) for i in range(RUNS)]

            results[name] = asyncio.run(runs())
    for name, values in results.items():
        print(f"{name:>22}: p50 {_pct(values, 0.5) * 1000:7.1f} ms  p99 {_pct(values, 0.99) * 1000:7.1f} ms"
              f"  mean {statistics.mean(values) * 1000:7.1f} ms  ({RUNS} crossings)")
    arrival, tick = results["on arrival"], results[f"at the next {TICK:g} s tick"]
    print(f"on arrival / tick: p50 {_pct(arrival, 0.5) / _pct(tick, 0.5):.3f}, "
          f"p99 {_pct(arrival, 0.99) / _pct(tick, 0.99):.3f}; goal p99 < 1 s: "
          f"{'met' if _pct(arrival, 0.99) < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
