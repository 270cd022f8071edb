"""Rule-engine throughput: readings ingested and evaluated per second, and where the time goes.

The regulation pack plus 200 generated site rules, 10,000 devices each reporting a dozen
metrics per poll (two of them watched by no rule), 1 % of series breached. One untimed round
creates the series (rule matching happens once per series); the timed rounds are steady state.
Goal: 1,000,000 readings/s per core for ingest + evaluate. Run: ``python bench/bench_rules.py``.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import random
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported for real inside the functions, once sys.path has the repo
    from monitor.core.model import Reading
    from rules.rule import Rule

DEVICES = 10_000
ROUNDS = 8
STEP = 60.0
T0 = 1_700_000_000.0
GOAL = 1_000_000


def _generated_rules() -> list[Rule]:
    """200 site rules on the shared metrics: device-, room- and regex-scoped, some overridden."""
    from monitor.core.model import Severity
    from rules.rule import Condition, Override, Rule

    metrics = ["cpu_percent", "memory_percent", "disk_used_percent", "temperature_celsius",
               "if_utilization_percent", "up", "if_oper_up", "site_custom_gauge"]
    rules: list[Rule] = []
    for i in range(200):
        metric = metrics[i % len(metrics)]
        match = [{"device": f"dev{i * 37 % DEVICES:05d}"}, {"room": f"room{i % 20}"},
                 {"device": f"~dev0{i % 10}.*"}, {"kind": "!sensor", "room": f"room{i % 20}"}][i % 4]
        overrides = (Override(match={"device": f"dev{i:05d}"}, for_s=600.0),) if i % 5 == 0 else ()
        rules.append(Rule(name=f"site_rule_{i:03d}", metric=metric, match=match,
                          condition=Condition.above(95.0 + i % 5, hysteresis=1.0),
                          for_s=float(60 * (i % 3)), severity=Severity.INFO,
                          summary="{device} " + metric + " {value:.0f}", clause="site policy",
                          overrides=overrides))
    return rules


def _rounds() -> list[list[Reading]]:
    """Readings of every device for ROUNDS + 1 polls (round 0 creates the series)."""
    from monitor.core.model import Reading

    rng = random.Random(7)
    devices = []
    for d in range(DEVICES):
        kind = "sensor" if d % 10 == 0 else ("switch" if d % 3 == 0 else "server")
        base = {"device": f"dev{d:05d}", "kind": kind, "level": str(1 + d % 3), "room": f"room{d % 20}"}
        hot = d % 100 == 0  # 1 % of devices breach something
        series: list[tuple[str, dict[str, str], float]] = [
            ("up", base, 1.0), ("cpu_percent", base, 97.0 if hot else 20.0),
            ("memory_percent", base, 40.0), ("load1", base, 0.5), ("uptime_seconds", base, 9e5),
            ("temperature_celsius", {**base, "sensor": "north"}, 30.0 if hot else 23.0),
            ("humidity_percent" if kind == "sensor" else "site_custom_gauge", base, 50.0),
        ]
        series += [("disk_used_percent", {**base, "mount": m}, 60.0) for m in ("/", "/var")]
        series += [(m, {**base, "ifname": f"Gi0/{p}", **({"role": "uplink"} if p == 0 else {})}, v)
                   for p in range(2) for m, v in (("if_oper_up", 1.0), ("if_utilization_percent", 10.0))]
        devices.append(series)
    rounds: list[list[Reading]] = []
    for r in range(ROUNDS + 1):
        ts = T0 + r * STEP
        rounds.append([Reading(m, v + rng.random() * 0.1, labels, ts)
                       for series in devices for m, labels, v in series])
    return rounds


def main() -> None:
    """Print readings/s for ingest + evaluate, the split, and a profile of one round."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from rules.engine import Engine
    from rules.loader import load_pack

    rules = load_pack("regulation") + _generated_rules()
    rounds = _rounds()
    per_round = len(rounds[0])
    watched = {r.metric for r in rules}
    unwatched = sum(1 for r in rounds[0] if r.metric not in watched)
    print(f"rules: {len(rules)}  devices: {DEVICES:,}  readings/poll: {per_round:,} "
          f"({100 * unwatched / per_round:.0f}% on metrics no rule watches)  timed polls: {ROUNDS}")
    engine = Engine(rules)
    start = time.perf_counter()
    engine.ingest(rounds[0])
    first = engine.evaluate(T0)
    print(f"first poll (creates every series, matches rules once): {time.perf_counter() - start:.2f}s, "
          f"{len(first)} transitions")

    t_ingest = t_eval = 0.0
    for r in range(1, ROUNDS + 1):
        a = time.perf_counter()
        engine.ingest(rounds[r])
        b = time.perf_counter()
        engine.evaluate(T0 + r * STEP)
        c = time.perf_counter()
        t_ingest += b - a
        t_eval += c - b
    total = t_ingest + t_eval
    n = per_round * ROUNDS
    rate = n / total
    print(f"steady state: {rate:,.0f} readings/s ingested+evaluated "
          f"({100 * rate / GOAL:.0f}% of the {GOAL:,}/s goal)")
    print(f"  ingest   {t_ingest:6.2f}s  {n / t_ingest:>12,.0f} readings/s  ({100 * t_ingest / total:.0f}%)")
    print(f"  evaluate {t_eval:6.2f}s  {n / t_eval:>12,.0f} readings/s  ({100 * t_eval / total:.0f}%)")
    print(f"  live alerts: {len(engine.active()):,}")

    profile = cProfile.Profile()
    profile.enable()
    engine.ingest(rounds[1])  # older than what the engine holds: the out-of-order path
    engine.ingest(rounds[ROUNDS])
    engine.evaluate(T0 + (ROUNDS + 1) * STEP)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(10)
    print("profile of one more poll (cProfile slows everything; shares matter, not totals):")
    print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


if __name__ == "__main__":
    main()
