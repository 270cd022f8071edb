"""What the dashboards ask and what roomwatch emits: their queries, Grafana's variable substitution,
and the metric names found in the code itself."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
METRIC = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
FROM = re.compile(r'FROM ((?:"[^"]+"(?:\s*,\s*)?)+)')
NAME = re.compile(r'"([^"]+)"')


def emitted() -> tuple[set[str], list[re.Pattern[str]]]:
    """Metric names found in roomwatch's code: string constants of collectors/ and monitor/ (and the
    f-string templates there, such as ``if_{direction}_bps``), and every ``metric =`` of the
    collectors' TOML data (SNMP profiles, the trap catalog). The rule packs do not count: a rule
    may read a metric nobody emits, which is exactly what this is here to catch."""
    names: set[str] = set()
    templates: list[re.Pattern[str]] = []
    for package in ("collectors", "monitor"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and METRIC.fullmatch(node.value)
                ):
                    names.add(node.value)
                elif isinstance(node, ast.JoinedStr):
                    parts = [
                        re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z0-9]+"
                        for v in node.values
                    ]
                    text = "".join(parts)
                    # A template names metrics only if it starts with words of its own (if_…_bps);
                    # "{a}_{b}" would match anything.
                    if re.fullmatch(r"[a-z]+_[a-z0-9_\\\[\]+-]*", text):
                        templates.append(re.compile(text))
        for path in (ROOT / package).rglob("*.toml"):
            names.update(_metric_values(tomllib.loads(path.read_text(encoding="utf-8"))))
    return names, templates


def _metric_values(doc: Any) -> Iterator[str]:
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "metric" and isinstance(value, str):
                yield value
            else:
                yield from _metric_values(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from _metric_values(item)


def unknown_measurements(dashboards: dict[str, dict[str, Any]]) -> set[str]:
    names, templates = emitted()
    names.add("alerts")  # the store's own measurement of alert transitions
    froms = [group for d in dashboards.values() for q in queries(d) for group in FROM.findall(q)]
    used = {m for group in froms for m in NAME.findall(group)}
    return {m for m in used if m not in names and not any(t.fullmatch(m) for t in templates)}


def queries(dashboard: dict[str, Any]) -> list[str]:
    out = [t["query"] for p in dashboard["panels"] for t in p["targets"]]
    out += [v["query"] for v in dashboard["templating"]["list"]]
    out += [a["query"] for a in dashboard["annotations"]["list"]]
    return out


def substitute(query: str, chosen: dict[str, list[str]] | None = None) -> str:
    """What Grafana sends: variables as regexes (All = .*), the time filter, the interval."""
    chosen = chosen or {}
    for name in ("site", "room", "device"):
        values = chosen.get(name)
        regex = "(" + "|".join(re.escape(v).replace("/", r"\/") for v in values) + ")" if values else ".*"
        query = query.replace(f"${name}", regex)
    return query.replace("$timeFilter", "time >= now() - 6h").replace("$__interval", "1m")
