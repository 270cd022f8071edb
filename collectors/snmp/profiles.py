"""Device profiles as data: TOML files mapping OIDs and table columns to roomwatch metrics.

One file per device family in ``collectors/snmp/profiles/`` (and in ``[snmp] profiles_dir``,
whose files win by name). A file looks like::

    name = "huawei-vrp"
    description = "Huawei VRP switches and routers"
    include = ["entity-sensor"]            # other profiles whose metrics are added
    [match]
    sys_object_id = ["1.3.6.1.4.1.2011.2"]  # prefixes; the longest match wins
    sys_descr = ["Huawei Versatile Routing Platform"]   # regular expressions, tried next

    [[metrics]]
    metric = "temperature_celsius"
    column = "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.11"   # a table column (walked) ...
    # oid = "1.3.6.1.4.1.x.0"                        # ... or a scalar (GET)
    labels = { sensor = "1.3.6.1.2.1.47.1.1.1.1.7" } # label from another column of the row;
                                                      # "index" gives the row index
    set = { }             # fixed labels
    scale = 1.0           # many 动环 controllers export tenths: scale = 0.1
    ignore = [0]          # raw values that mean "no sensor here"
    map = { "3" = 1, "2" = 0 }   # enumerations -> numbers; other values are dropped
    aggregate = "max"     # max | min | avg | sum: one reading from all rows
    divide_by = ["…"]     # value / sum(these columns of the row) * scale (memory, disk %)
    where = { column = "…", in = ["…"] }   # keep rows whose column has one of these values
    # where = { column = "…", match = "(?i)temp" }   # … or whose column matches (re.search)
    # where = [{ … }, { … }]   # a list: rows that pass every test (status good and unit °C)
    precision_from = "…"  # value / 10**(that column) (ENTITY-SENSOR-MIB)
    rows_upto = "…"       # keep rows numbered up to this scalar (UPS-MIB upsInputNumLines)

Interfaces (IF-MIB) and the system group are read for every device by code, not profiles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from collectors.snmp.client import Table, Var
from monitor.core.errors import ConfigError
from monitor.core.model import Reading
from monitor.core.textfiles import read_toml

SHIPPED = Path(__file__).parent / "profiles"
GENERIC = "generic"

_OID = r"^[0-9]+(\.[0-9]+)+$"


class Where(BaseModel):
    """Row filter: keep rows whose ``column`` value is one of ``in``, or matches ``match``
    (sensor tables that tell temperatures from fans and voltages only by name)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    column: str = Field(pattern=_OID)
    values: list[str] | None = Field(None, alias="in", min_length=1)
    match: re.Pattern[str] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Where:
        if (self.values is None) == (self.match is None):
            raise ValueError("give exactly one of in (values) or match (a regular expression)")
        return self

    def keeps(self, text: str) -> bool:
        """True when a row whose column holds ``text`` is kept."""
        if self.match is not None:
            return self.match.search(text) is not None
        return self.values is not None and text in self.values


class MetricSpec(BaseModel):
    """One metric a profile reads; see the module docstring for each field."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    oid: str | None = Field(None, pattern=_OID)
    column: str | None = Field(None, pattern=_OID)
    labels: dict[str, str] = Field(default_factory=dict)
    set: dict[str, str] = Field(default_factory=dict)
    scale: float = 1.0
    ignore: list[float] = Field(default_factory=list)
    map: dict[str, float] | None = None
    aggregate: Literal["max", "min", "avg", "sum"] | None = None
    divide_by: list[str] = Field(default_factory=list)
    where: list[Where] = Field(default_factory=list)
    precision_from: str | None = Field(None, pattern=_OID)
    rows_upto: str | None = Field(None, pattern=_OID)

    @field_validator("where", mode="before")
    @classmethod
    def _where_list(cls, value: object) -> object:
        # One test is written as an inline table, several (status good and unit °C) as a list.
        return [value] if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _one_source(self) -> MetricSpec:
        if (self.oid is None) == (self.column is None):
            raise ValueError("give exactly one of oid (a scalar) or column (a table column)")
        if self.oid is not None and (self.labels or self.divide_by or self.where or self.aggregate
                                     or self.precision_from or self.rows_upto):
            raise ValueError("labels, divide_by, where, aggregate, precision_from and rows_upto need column")
        for name, src in self.labels.items():
            if src != "index" and not re.match(_OID, src):
                raise ValueError(f"labels.{name}: a column OID or 'index', not {src!r}")
        return self

    def columns(self) -> list[str]:
        """Every column this metric needs walked."""
        cols = [self.column] if self.column else []
        cols += [c for c in self.labels.values() if c != "index"] + self.divide_by
        cols += [w.column for w in self.where] + ([self.precision_from] if self.precision_from else [])
        return cols


class ProfileFile(BaseModel):
    """The schema of one profile file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = ""
    include: list[str] = Field(default_factory=list)
    match: dict[Literal["sys_object_id", "sys_descr"], list[str]] = Field(default_factory=dict)
    metrics: list[MetricSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    """A loaded profile with its includes resolved."""

    name: str
    description: str
    metrics: tuple[MetricSpec, ...]
    object_ids: tuple[str, ...] = ()
    descr: tuple[re.Pattern[str], ...] = ()
    sources: tuple[str, ...] = field(default=())

    def scalars(self) -> list[str]:
        """Scalar OIDs to GET."""
        return sorted({o for m in self.metrics for o in (m.oid, m.rows_upto) if o})

    def columns(self) -> list[str]:
        """Table columns to walk."""
        return sorted({c for m in self.metrics for c in m.columns()})


def load_profiles(extra_dir: Path | None = None) -> dict[str, Profile]:
    """Every profile, shipped and the site's; ConfigError lists all bad files at once."""
    raw: dict[str, ProfileFile] = {}
    problems: list[str] = []
    dirs = [SHIPPED] + ([extra_dir] if extra_dir else [])
    for folder in dirs:
        if not folder.is_dir():
            problems.append(f"{folder}: profile folder not found")
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                pf = ProfileFile.model_validate(read_toml(path))
                for pattern in pf.match.get("sys_descr", []):
                    re.compile(pattern)
            except ConfigError as err:
                problems += err.problems
            except re.error as err:
                problems.append(f"{path}: match.sys_descr: bad regular expression: {err}")
            except ValidationError as err:
                problems += [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()]
            else:
                raw[pf.name] = pf
    for pf in raw.values():
        problems += [f"profile {pf.name}: include: no profile named {n!r}"
                     for n in pf.include if n not in raw]
    if problems:
        raise ConfigError(problems)
    return {name: _resolve(name, raw) for name in raw}


def _resolve(name: str, raw: Mapping[str, ProfileFile]) -> Profile:
    order: list[str] = []

    def visit(n: str) -> None:
        if n in order or n not in raw:
            return
        order.append(n)
        for inc in raw[n].include:
            visit(inc)

    visit(name)
    pf = raw[name]
    return Profile(
        name=name, description=pf.description,
        metrics=tuple(m for n in order for m in raw[n].metrics),
        object_ids=tuple(pf.match.get("sys_object_id", [])),
        descr=tuple(re.compile(p) for p in pf.match.get("sys_descr", [])),
        sources=tuple(order))


def select(profiles: Mapping[str, Profile], sys_object_id: str, sys_descr: str) -> Profile:
    """The profile for a device: longest sysObjectID prefix, then sysDescr, then generic."""
    oid = sys_object_id.lstrip(".")
    best: tuple[int, str] | None = None
    for p in profiles.values():
        for prefix in p.object_ids:
            if (oid == prefix or oid.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), p.name)
    if best is not None:
        return profiles[best[1]]
    for name in sorted(profiles):
        if any(rx.search(sys_descr) for rx in profiles[name].descr):
            return profiles[name]
    return profiles[GENERIC]


def evaluate(profile: Profile, scalars: Mapping[str, Var], table: Table, now: float) -> list[Reading]:
    """Readings from what the agent answered; metrics whose data is missing are left out."""
    out: list[Reading] = []
    for spec in profile.metrics:
        if spec.oid is not None:
            var = scalars.get(spec.oid)
            value = _value(spec, var)
            if value is not None:
                out.append(Reading(spec.metric, value, dict(spec.set), now))
            continue
        assert spec.column is not None
        rows: list[tuple[dict[str, str], float]] = []
        # A single-phase UPS often keeps rows 2 and 3 of its line tables, all zero: only the
        # lines the agent says it has (upsInputNumLines …) are read.
        upto = scalars[spec.rows_upto].number() if spec.rows_upto and spec.rows_upto in scalars else None
        for index, var in table.get(spec.column, {}).items():
            if not all(w.keeps(_text(table, w.column, index)) for w in spec.where):
                continue
            if upto is not None and _key(index) > upto:
                continue
            value = _value(spec, var)
            if value is None:
                continue
            if spec.divide_by:
                total = sum(_num(table, c, index) or 0.0 for c in spec.divide_by)
                if total <= 0:
                    continue
                value = value / total * spec.scale
            if spec.precision_from:
                value /= 10 ** (_num(table, spec.precision_from, index) or 0.0)
            labels = {k: (index if src == "index" else _text(table, src, index))
                      for k, src in spec.labels.items()}
            rows.append(({**labels, **spec.set}, round(value, 6)))
        if spec.aggregate and rows:
            value = _AGGREGATE[spec.aggregate]([v for _, v in rows])
            out.append(Reading(spec.metric, value, dict(spec.set), now))
        elif not spec.aggregate:
            out += [Reading(spec.metric, v, labels, now) for labels, v in _unique(rows)]
    return out


def _value(spec: MetricSpec, var: Var | None) -> float | None:
    if var is None:
        return None
    if spec.map is not None:
        return spec.map.get(var.text())
    number = var.number()
    if number is None or number in spec.ignore:
        return None
    return round(number * spec.scale, 6) if not spec.divide_by else number


def _key(index: str) -> float:
    first = index.split(".", 1)[0]
    return float(first) if first.isdigit() else 0.0


def _text(table: Table, column: str, index: str) -> str:
    var = table.get(column, {}).get(index)
    return var.text() if var is not None else ""


def _num(table: Table, column: str, index: str) -> float | None:
    var = table.get(column, {}).get(index)
    return var.number() if var is not None else None


_AGGREGATE: dict[str, Callable[[list[float]], float]] = {
    "max": max, "min": min, "sum": lambda v: round(sum(v), 6), "avg": lambda v: round(sum(v) / len(v), 6)}


def _unique(rows: Iterable[tuple[dict[str, str], float]]) -> list[tuple[dict[str, str], float]]:
    # Two rows with the same labels (two sensors both called "Temp") would collide downstream;
    # the later one gets its row number appended so neither is lost.
    seen: dict[tuple[tuple[str, str], ...], int] = {}
    out = []
    for labels, value in rows:
        key = tuple(sorted(labels.items()))
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            labels = {k: f"{v}#{seen[key]}" for k, v in labels.items()}
        out.append((labels, value))
    return out
