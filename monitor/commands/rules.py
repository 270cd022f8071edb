"""``roomwatch rules backtest``: replay stored history through the engine and the notification
pipeline, for the current rules and for a candidate rule file, and print the difference."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.commands.common import EXIT_OK, EXIT_USAGE, add_config_option, command_group, load

if TYPE_CHECKING:  # the handlers import what they run: ``roomwatch --help`` stays light
    from monitor import backtest
    from rules.rule import Rule


def register(sub: Any) -> None:
    """Add ``rules backtest``."""
    actions = command_group(sub, "rules", help="Work with the rules (backtest).")
    p = actions.add_parser(
        "backtest", help="Replay stored history through the rules and the notification pipeline.",
        description="Replays the stored readings of the last --since through the rule engine and "
        "the [notify] pipeline (routes, grouping, inhibition, repeats; nothing is sent) on a "
        "simulated clock, and prints per rule: incidents, notifications, longest firing. With "
        "--rules FILE its rules replace the same-named ones (or are added) and the difference "
        "from the current rules is shown: try a threshold or a `for` before it pages anybody.")
    add_config_option(p)
    p.add_argument("--rules", type=Path, default=None, metavar="FILE",
                   help="candidate rule file (TOML, as [rules] files); its rules are used as written")
    p.add_argument("--since", default="7d", help="how far back to replay (default 7d)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, now: float | None = None) -> int:
    """Replay, compare, print."""
    from monitor import backtest, wiring
    from monitor.commands.report import open_store
    from monitor.config import state_dir
    from monitor.core import logs
    from monitor.core.durations import parse_duration
    from monitor.core.errors import ConfigError
    logs.setup("error")  # the replayed alerts are the output, not log lines
    settings, where = load(args.config)
    try:
        span = parse_duration(args.since)
        current = wiring.build_rules(settings, where)
        candidate = _candidate(current, args.rules) if args.rules is not None else None
    except (ConfigError, ValueError) as err:
        problems = err.problems if isinstance(err, ConfigError) else [f"--since: {err}"]
        print("\n".join(problems))
        return EXIT_USAGE
    end = time.time() if now is None else now
    start = end - span
    state, _why = state_dir(settings)
    store = open_store(settings, state)
    try:
        metrics = sorted({r.metric for r in current + (candidate or [])})
        readings = sorted((r for m in metrics for r in store.query(m, start, end)), key=lambda r: r.ts)
    finally:
        store.close()
    def replay(rules: list[Rule]) -> dict[str, backtest.RuleResult]:
        return backtest.replay(readings, rules, start=start, end=end, notify=settings.notify,
                               parents=wiring.parents_of(settings), tick=settings.rules.evaluate_interval,
                               stale_after=wiring.stale_after(settings))

    before = replay(current)
    after = replay(candidate) if candidate is not None else None
    print(_json(before, after, start, end, len(readings)) if args.json
          else _table(before, after, start, end, len(readings)))
    return EXIT_OK


def _candidate(current: list[Rule], path: Path) -> list[Rule]:
    """The current rules with the file's rules in place of those of the same name."""
    from rules.loader import load_file
    new = load_file(path)
    names = {r.name for r in new}
    return [r for r in current if r.name not in names] + new


def _rows(before: dict[str, backtest.RuleResult],
          after: dict[str, backtest.RuleResult] | None) -> list[tuple[str, Any, Any]]:
    names = sorted(set(before) | set(after or {}))
    from monitor import backtest
    empty = backtest.RuleResult()
    return [(n, before.get(n, empty), None if after is None else after.get(n, empty)) for n in names]


def _json(before: dict[str, backtest.RuleResult], after: dict[str, backtest.RuleResult] | None,
          start: float, end: float, readings: int) -> str:
    rules = []
    for name, b, a in _rows(before, after):
        row: dict[str, Any] = {"rule": name, "current": b.to_dict()}
        if a is not None:
            row["candidate"] = a.to_dict()
        rules.append(row)
    return json.dumps({"start": start, "end": end, "readings": readings, "rules": rules},
                      ensure_ascii=False, indent=2)


def _table(before: dict[str, backtest.RuleResult], after: dict[str, backtest.RuleResult] | None,
           start: float, end: float, readings: int) -> str:
    def when(ts: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))

    lines = [f"{when(start)} – {when(end)}: {readings} reading(s) replayed"]
    head = "rule                          incidents  notifications  longest firing"
    lines.append(head + ("   (candidate: incidents, notifications, longest)" if after is not None else ""))
    for name, b, a in _rows(before, after):
        line = f"{name:<30}{b.incidents:>9}{b.notifications:>15}  {_span(b.longest_firing_s):>14}"
        if a is not None:
            line += (f"   {a.incidents} ({a.incidents - b.incidents:+d}), "
                     f"{a.notifications} ({a.notifications - b.notifications:+d}), "
                     f"{_span(a.longest_firing_s)}")
        lines.append(line)
    if len(lines) == 2:
        lines.append("(no rule fired)")
    return "\n".join(lines)


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if seconds else "-"
