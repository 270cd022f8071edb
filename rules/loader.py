"""Read rule files (TOML) and site overrides into ``Rule`` values, reporting every problem at once.

Each problem is one line with its location, as ``monitor.core.errors.ConfigError`` wants:
``regulation.toml: rules[3].severity: 'critcal' is not one of info, warning, critical``.
"""

from __future__ import annotations

import logging
import os
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from monitor.core.errors import ConfigError
from monitor.core.textfiles import parse_toml, read_text
from rules import fields
from rules.rule import Override, Rule

_RULE_KEYS = ("name", "metric", "match", "matchers", *fields.BOUNDS, "hysteresis", "for", "severity",
              "summary", "summary_en", "clause", "description")
_REQUIRED = ("name", "metric", "severity", "summary", "clause")
_SELECT_KEYS = ("match", "matchers")
_CHANGE_KEYS = (*fields.BOUNDS, "hysteresis", "for", "severity", "disabled", "clause")
_OVERRIDE_KEYS = ("rule", *_SELECT_KEYS, *_CHANGE_KEYS)
_SNAKE = re.compile(r"[a-z][a-z0-9_]*")
_PACK = re.compile(r"[a-z0-9][a-z0-9_-]*")

log = logging.getLogger(__name__)


def load_pack(name: str) -> list[Rule]:
    """The rules of a shipped pack, ``rules/packs/NAME.toml``; FileNotFoundError if none."""
    pack = resources.files("rules") / "packs" / f"{name}.toml"
    if not _PACK.fullmatch(name) or not pack.is_file():  # the name check keeps "../x" out
        raise FileNotFoundError(f"no shipped rule pack named {name!r}")
    return load_text(pack.read_text(encoding="utf-8"), f"{name}.toml")


def load_file(path: str | os.PathLike[str], where: str | None = None) -> list[Rule]:
    """The rules of one TOML file; ``where`` prefixes problems (default: the path)."""
    where = str(path) if where is None else where
    return load_text(read_text(Path(path), where), where)


def load_text(text: str, where: str) -> list[Rule]:
    """Parse rule-file text; ConfigError lists every problem, each prefixed by ``where``."""
    doc = parse_toml(text, where)
    problems: list[str] = []
    for key in doc:
        if key != "rules":
            problems.append(f"{where}: {key}: unknown key{fields.guess(key, ['rules'])}")
    tables = doc.get("rules", [])
    if not isinstance(tables, list):
        problems.append(f"{where}: rules: expected [[rules]] tables")
        tables = []
    rules: list[Rule] = []
    first: dict[str, int] = {}
    for i, table in enumerate(tables):
        at = f"{where}: rules[{i}]"
        before = len(problems)
        if not isinstance(table, dict):
            problems.append(f"{at}: expected a [[rules]] table")
            continue
        rule = _rule(table, at, problems)
        name = table.get("name")
        if isinstance(name, str):
            if name in first:
                problems.append(f"{at}.name: {name!r} is already used by rules[{first[name]}]")
            first.setdefault(name, i)
        if rule is not None and len(problems) == before:
            rules.append(rule)
    if problems:
        raise ConfigError(problems)
    return rules


def apply_overrides(rules: Sequence[Rule], overrides: Sequence[Mapping[str, Any]],
                    source: str) -> list[Rule]:
    """The rules with the site's ``[[rules.overrides]]`` tables attached, in order.

    ``source`` is where the overrides live, e.g. ``"roomwatch.toml: rules.overrides"``; rule
    names must also be unique across all packs and files, which only this step can see.
    """
    problems: list[str] = []
    by_name: dict[str, Rule] = {}
    for r in rules:
        if r.name in by_name:
            base = source.removesuffix(".overrides")
            problems.append(f"{base}: rule {r.name!r} is defined in more than one pack or file")
        by_name[r.name] = r
    added: dict[str, list[Override]] = {}
    clauses: dict[str, str] = {}  # a site's own regulation, cited for the whole rule
    for i, table in enumerate(overrides):
        at = f"{source}[{i}]"
        if not isinstance(table, Mapping):
            problems.append(f"{at}: expected a table")
            continue
        before = len(problems)
        fields.unknown(table, _OVERRIDE_KEYS, at, problems)
        name = table.get("rule")
        rule = by_name.get(name) if isinstance(name, str) else None
        if name is None:
            problems.append(f"{at}.rule: required but missing")
        elif rule is None:
            problems.append(f"{at}.rule: no rule named {name!r}{fields.guess(str(name), by_name)}")
        if not set(table) - {"rule", *_SELECT_KEYS}:
            problems.append(f"{at}: changes nothing; set one of {', '.join(_CHANGE_KEYS)}")
        match = fields.match_table(table.get("match", {}), f"{at}.match", problems)
        matchers = fields.matcher_list(table.get("matchers", []), f"{at}.matchers", problems)
        bounds = fields.condition(table, at, problems, required=False)
        hysteresis = fields.hysteresis_of(table, at, problems)
        for_s = fields.for_seconds(table, at, problems)
        severity = fields.severity_of(table, at, problems)
        disabled = table.get("disabled")
        if disabled is not None and not isinstance(disabled, bool):
            problems.append(f"{at}.disabled: expected true or false, got {disabled!r}")
        clause = _clause(table, at, problems)
        if rule is None or len(problems) > before:
            continue
        if clause is not None:
            clauses[rule.name] = clause
            if set(table) <= {"rule", "clause"}:
                continue
        merged = bounds or rule.condition
        h = rule.condition.hysteresis if hysteresis is None else hysteresis
        fields.check_hysteresis(merged, h, f"{at}.hysteresis", problems)
        added.setdefault(rule.name, []).append(Override(
            match=match, matchers=matchers, condition=bounds, hysteresis=hysteresis, for_s=for_s,
            severity=severity, disabled=disabled))
    if problems:
        raise ConfigError(problems)
    return [replace(r, overrides=(*r.overrides, *added.get(r.name, ())),
                    clause=clauses.get(r.name, r.clause)) if r.name in added or r.name in clauses else r
            for r in rules]


def _clause(table: Mapping[str, Any], at: str, problems: list[str]) -> str | None:
    """A site's own citation for a rule (its document and article); it names the regulation the
    whole rule enforces, so it cannot be limited to some series."""
    clause = table.get("clause")
    if clause is None:
        return None
    if not isinstance(clause, str) or not clause.strip():
        problems.append(f"{at}.clause: expected the document and article, "
                        "e.g. \"《本院机房管理规定》第十二条\"")
        return None
    if any(key in table for key in _SELECT_KEYS):
        problems.append(f"{at}.clause: a citation is for the whole rule; put it in an override without match")
        return None
    return clause.strip()


def _rule(table: Mapping[str, Any], at: str, problems: list[str]) -> Rule | None:
    fields.unknown(table, _RULE_KEYS, at, problems)
    for key in _REQUIRED:
        if key not in table:
            problems.append(f"{at}.{key}: required but missing")
    name = fields.text(table, "name", at, problems)
    if name is not None and not _SNAKE.fullmatch(name):
        problems.append(f"{at}.name: {name!r} is not snake_case (a-z, 0-9, _)")
    metric = fields.text(table, "metric", at, problems)
    if metric is not None and not _SNAKE.fullmatch(metric):
        problems.append(f"{at}.metric: {metric!r} is not a snake_case metric name")
    match = fields.match_table(table.get("match", {}), f"{at}.match", problems)
    matchers = fields.matcher_list(table.get("matchers", []), f"{at}.matchers", problems)
    bounds = fields.condition(table, at, problems, required=True)
    hysteresis = fields.hysteresis_of(table, at, problems)
    if bounds is not None and hysteresis is not None:
        fields.check_hysteresis(bounds, hysteresis, f"{at}.hysteresis", problems)
    for_s = fields.for_seconds(table, at, problems)
    severity = fields.severity_of(table, at, problems)
    summary = fields.text(table, "summary", at, problems)
    if summary is not None and (why := template_problem(summary)):
        problems.append(f"{at}.summary: {why}")
    summary_en = fields.text(table, "summary_en", at, problems)
    if summary_en and (why := template_problem(summary_en)):
        problems.append(f"{at}.summary_en: {why}")
    clause = fields.text(table, "clause", at, problems)
    if clause is not None and not clause.strip():
        problems.append(f"{at}.clause: empty; cite the regulation (file:line and section)")
    description = fields.text(table, "description", at, problems)
    if (name is None or metric is None or bounds is None or severity is None or summary is None
            or clause is None):
        return None
    return Rule(name=name, metric=metric, match=match, matchers=matchers,
                condition=bounds.with_hysteresis(hysteresis or 0.0), for_s=for_s or 0.0,
                severity=severity, summary=summary, clause=clause, description=description or "",
                summary_en=summary_en or "")


def template_problem(template: str) -> str | None:
    """Why a summary template cannot be rendered safely, or None when it is fine."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as err:
        return f"bad template: {err}"
    for _, name, spec, _ in parts:
        if name is not None and not name.isidentifier():
            return f"bad template field {{{name}}}: use plain names such as {{device}} or {{value:.1f}}"
        if spec and "{" in spec:
            return f"bad template field {{{name}:{spec}}}: nested fields are not supported"
    return None
