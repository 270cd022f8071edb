"""Every shipped rule carries an English summary with the same fields as its zh-CN one, and
``check --lang en`` shows it (rule summaries were left in Chinese)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from rules.loader import load_file

PACKS = sorted((Path(__file__).parents[2] / "rules" / "packs").glob("*.toml"))
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.stem)
def test_every_rule_has_an_english_summary_with_the_same_fields(pack: Path) -> None:
    rules = load_file(pack)
    assert rules
    for rule in rules:
        assert rule.summary_en, f"{pack.name}: {rule.name} has no summary_en"
        assert not CJK.search(rule.summary_en.replace("\u201c{window}\u201d", "")), rule.name
        assert _fields(rule.summary_en) == _fields(rule.summary), rule.name
        labels = {f: f"<{f}>" for f in _fields(rule.summary) - {"value", "threshold", "rule"}}
        text = rule.render(labels, 29.0, rule.condition, "en")
        assert "?" not in text, (rule.name, text)  # a field the summary lacks shows as ?
        assert rule.render(labels, 29.0, rule.condition) != text  # zh stays the default
