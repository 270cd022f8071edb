"""The pieces every dashboard is made of: InfluxQL queries, targets, panels, variables,
value mappings, and the shipped pack's rules whose bands and clauses the panels show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rules.loader import load_pack
from rules.rule import Rule

HERE = Path(__file__).parent
DATASOURCE = {"type": "influxdb", "uid": "roomwatch-influx"}
FILTER = '"site" =~ /^$site$/ AND "room" =~ /^$room$/ AND "device" =~ /^$device$/'
NET = '"kind" =~ /^(switch|router|firewall)$/'
REG = "（%s）"


def q(
    metric: str,
    *,
    where: str = "",
    by: str = "device",
    agg: str = "mean",
    fill: str = "none",
    filtered: bool = True,
) -> str:
    """A time-series query of one metric, grouped by time and ``by`` tags."""
    conds = [c for c in (where, FILTER if filtered else "", "$timeFilter") if c]
    group = ", ".join(["time($__interval)", *(f'"{t.strip()}"' for t in by.split(",") if t.strip())])
    return f'SELECT {agg}("value") FROM "{metric}" WHERE {" AND ".join(conds)} GROUP BY {group} fill({fill})'


def last(metric: str, *, where: str = "", by: str = "device") -> str:
    """The newest value of each series of ``metric`` in the time range (for stats and tables)."""
    conds = [c for c in (where, FILTER, "$timeFilter") if c]
    group = ", ".join(f'"{t.strip()}"' for t in by.split(","))
    return f'SELECT last("value") FROM "{metric}" WHERE {" AND ".join(conds)} GROUP BY {group}'


def target(
    query: str, ref: str = "A", alias: str = "$tag_device", fmt: str = "time_series"
) -> dict[str, Any]:
    return {
        "refId": ref,
        "datasource": DATASOURCE,
        "rawQuery": True,
        "query": query,
        "resultFormat": fmt,
        "alias": alias,
    }


def panel(
    title: str,
    targets: list[dict[str, Any]],
    *,
    kind: str = "timeseries",
    unit: str = "",
    description: str = "",
    band: tuple[float, float] | None = None,
    w: int = 12,
    h: int = 8,
    mappings: list[dict[str, Any]] | None = None,
    minmax: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """One panel. ``band`` draws an allowed range: red outside, green inside, as lines and areas."""
    defaults: dict[str, Any] = {"unit": unit} if unit else {}
    if band is not None:
        low, high = band
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [
                {"color": "red", "value": None},
                {"color": "green", "value": low},
                {"color": "red", "value": high + 1e-9},
            ],
        }
        defaults["custom"] = {"thresholdsStyle": {"mode": "line+area"}}
    if minmax is not None:
        defaults["min"], defaults["max"] = minmax
    if mappings:
        defaults["mappings"] = mappings
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "gridPos": {"w": w, "h": h},
    }


def variable(name: str, label: str, key: str, where: str = "") -> dict[str, Any]:
    query = f'SHOW TAG VALUES FROM "up" WITH KEY = "{key}"' + (f" WHERE {where}" if where else "")
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": query,
        "definition": query,
        "refresh": 2,
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"text": "All", "value": "$__all"},
        "sort": 1,
    }


VARIABLES = [
    variable("site", "站点 site", "site"),
    variable("room", "机房 room", "room", '"site" =~ /^$site$/'),
    variable("device", "设备 device", "device", '"site" =~ /^$site$/ AND "room" =~ /^$room$/'),
]
ANNOTATION = {
    "name": "告警 alerts",
    "datasource": DATASOURCE,
    "enable": True,
    "iconColor": "red",
    "query": 'SELECT "summary", "rule", "severity" FROM "alerts" WHERE "state" = \'firing\' AND '
    '"device" =~ /^$device$/ AND $timeFilter',
    "textColumn": "summary",
    "tagsColumn": "rule,severity",
}
ON_BATTERY = [
    {
        "type": "value",
        "options": {
            "0": {"text": "市电 mains", "color": "green"},
            "1": {"text": "电池 battery", "color": "red"},
        },
    }
]
UP_DOWN = [
    {
        "type": "value",
        "options": {"0": {"text": "离线 down", "color": "red"}, "1": {"text": "在线 up", "color": "green"}},
    }
]
def pack_rule(name: str) -> Rule:
    """A rule of the shipped regulation pack: the dashboards draw its range and cite its clause,
    so a threshold is written once, in the pack."""
    return next(rule for rule in load_pack("regulation") if rule.name == name)


def band(rule: Rule) -> tuple[float, float]:
    """The normal range of an ``outside = [low, high]`` rule."""
    low, high = rule.condition.low, rule.condition.high
    if low is None or high is None:
        raise ValueError(f"rule {rule.name}: the dashboards draw a range; the pack gives no outside")
    return low, high


def states(zero: tuple[str, str], one: tuple[str, str]) -> list[dict[str, Any]]:
    """A value mapping for a 0/1 state: (text, colour) of each."""
    return [{"type": "value", "options": {"0": {"text": zero[0], "color": zero[1]},
                                          "1": {"text": one[0], "color": one[1]}}}]


RUN_STOP = states(("停机 stopped", "red"), ("运行 running", "green"))
ALARM = states(("正常 clear", "green"), ("报警 alarm", "red"))
DOOR = states(("关 closed", "green"), ("开 open", "orange"))


def state(metric: str, by: str, ref: str, alias: str, agg: str = "max") -> dict[str, Any]:
    """A 0/1 series held until it changes (state timelines)."""
    return target(q(metric, agg=agg, fill="previous", by=by), ref, alias)
