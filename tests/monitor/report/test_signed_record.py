"""The manual items signed on the console (巡检人, then 审核人) in the saved daily record and in
``roomwatch inspect --show``; a day nobody signed says 未填写 / 未签字, never 正常."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from monitor.cli import parser
from monitor.report.signoff import Checked, Mark, SignOffs

DAY = "2026-11-16"


def inspect(config: Path, now: float, *extra: str) -> int:
    args = parser().parse_args(["inspect", "--config", str(config), "--date", DAY, *extra])
    code: int = args.handler(args, now=now)
    return code


def manual_section(text: str) -> list[str]:
    start = text.index("人工巡检项")
    return [line for line in text[start:].splitlines() if line.startswith(("人工巡检项", "| 消防", "| 门禁",
                                                                           "| 漏水", "| 卫生", "| 温控"))]


def test_an_unsigned_day_says_not_filled_and_not_signed(config: Path, seed: ModuleType,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert inspect(config, seed.at(1, 8, 30)) == 0
    text = Path(capsys.readouterr().out.strip()).read_text(encoding="utf-8")
    assert manual_section(text) == ["人工巡检项：当日未填写、未签字（人工巡检项不代表正常）",
                                    "| 消防设施 |  |  | 未填写 |", "| 门禁 |  |  | 未填写 |",
                                    "| 漏水 |  |  | 未填写 |", "| 卫生 |  |  | 未填写 |"]


def test_the_signed_sheet_is_in_the_record_and_in_show(config: Path, seed: ModuleType,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    book = SignOffs(config.parent / "state" / "inspections.db")
    try:
        marks = [Checked(name="消防设施", mark=Mark.NORMAL), Checked(name="门禁", mark=Mark.NORMAL),
                 Checked(name="漏水", mark=Mark.ABNORMAL, note="空调下方有积水|已擦干"),
                 Checked(name="卫生", mark=Mark.UNAVAILABLE, note="保洁未到")]
        first = book.sign(day=DAY, items=marks, expected=["消防设施", "门禁", "漏水", "卫生"],
                          inspector="wang", now=seed.at(0, 18, 0))
        assert inspect(config, seed.at(1, 8, 30)) == 0  # reviewed later: the saved record says so
        saved = Path(capsys.readouterr().out.strip()).read_text(encoding="utf-8")
        assert manual_section(saved) == [
            f"人工巡检项：签字单 #{first.id}，巡检人 wang 2026-11-16 18:00，审核人 未签字",
            "| 消防设施 | √ |  |  |", "| 门禁 | √ |  |  |", "| 漏水 |  | √ | 空调下方有积水/已擦干 |",
            "| 卫生 |  |  | 无法检查；保洁未到 |"]
        # A correction (a new sheet naming the old one), then the reviewer countersigns it.
        fixed = book.sign(day=DAY, items=[*marks[:3], Checked(name="卫生", mark=Mark.NORMAL)],
                          expected=["消防设施", "门禁", "漏水", "卫生"], inspector="wang",
                          now=seed.at(1, 9, 0), corrects=first.id)
        book.review(fixed.id, reviewer="li", comment="积水已报修", now=seed.at(1, 9, 30))
    finally:
        book.close()
    assert inspect(config, seed.at(1, 10, 0), "--show") == 0
    shown = capsys.readouterr().out
    assert (f"人工巡检项：签字单 #{fixed.id} (更正 #{first.id})，巡检人 wang 2026-11-17 09:00，"
            "审核人 li 2026-11-17 09:30 (积水已报修)") in shown
    assert "| 卫生 | √ |  |  |" in shown and "未签字" not in shown


def test_english_record(config: Path, seed: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert inspect(config, seed.at(1, 8, 30), "--lang", "en") == 0
    text = Path(capsys.readouterr().out.strip()).read_text(encoding="utf-8")
    assert "Manual items: not filled in, not signed (does not mean normal)" in text
    assert "| 门禁 |  |  | not filled in |" in text
