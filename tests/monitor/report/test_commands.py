"""``roomwatch inspect`` and ``roomwatch report`` end to end: config file, state dir, seeded
store, inspection book, files written, and ``--send`` through a real local HTTP receiver."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from monitor.cli import main, parser
from monitor.report import items
from monitor.report.book import InspectionBook


def test_inspect_writes_a_record_then_a_correction(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--config", str(config), "--date", "2026-11-16"]) == 0
    first = Path(capsys.readouterr().out.strip())
    text = first.read_text(encoding="utf-8")
    assert first.parent.name == "reports" and first.name == "inspection-2026-11-16-1.md"
    assert ("| 3 机房环境 |  | √ | th-a101: temperature_celsius sensor=t1 = 29.4 °C, 14:10–14:50 (40 分钟)"
            in text)
    assert "| 1 电源、UPS | √ |  |  | 《中心机房巡检管理制度》一、检查项目要求 第1条 |" in text
    assert "正式记录" in text and "巡检人: 自动巡检" in text and "审核人: 张主任" in text
    assert main(["inspect", "--config", str(config), "--date", "2026-11-16", "--lang", "en"]) == 0
    second = Path(capsys.readouterr().out.strip())
    english = second.read_text(encoding="utf-8")
    assert second.name == "inspection-2026-11-16-2.md" and "correction" in english
    # In English: statuses and items in English, each clause's document named in English beside
    # its Chinese title (the title is the document's name), the automatic inspector in English.
    assert ("| 1 Power, UPS | √ |  |  | 《中心机房巡检管理制度》(Central Machine-Room Inspection Rules) "
            "一、检查项目要求 第1条 |") in english
    assert "Inspector: roomwatch (automatic inspection)" in english and "自动巡检" not in english
    book = InspectionBook(config.parent / "state" / "inspections.db")
    assert [e.kind for e in book.entries("2026-11-16")] == ["record", "correction"]
    book.close()
    assert main(["inspect", "--config", str(config), "--date", "2026-11-16", "--show"]) == 0
    assert capsys.readouterr().out.count("中心机房日巡检记录 2026-11-16") == 2


def test_inspect_show_says_when_a_day_has_no_record(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--config", str(config), "--date", "2026-11-15", "--show"]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert "no inspection record for 2026-11-15 in " in out.err and "inspections.db" in out.err
    assert "roomwatch inspect --date 2026-11-15" in out.err


def at_time(argv: list[str], now: float) -> int:
    """Run a command as its timer would at ``now`` (the handlers take the clock as a parameter)."""
    args = parser().parse_args(argv)
    code: int = args.handler(args, now=now)
    return code


def test_inspect_default_is_yesterday(config: Path, seed: ModuleType,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert at_time(["inspect", "--config", str(config)], seed.at(3, 8, 30)) == 0  # Thursday 08:30
    path = Path(capsys.readouterr().out.strip())
    assert path.name == "inspection-2026-11-18-1.md"  # Wednesday: the switch was down
    assert "| 4 网络设备 |  | √ | sw-core: up = 0, 10:00–13:00 (3 小时 00 分钟), 告警 device_down" in \
        path.read_text(encoding="utf-8")


def test_a_day_without_data_says_so(config: Path, seed: ModuleType,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert at_time(["inspect", "--config", str(config)], seed.NOW + 30 * 86400) == 0
    text = Path(capsys.readouterr().out.strip()).read_text(encoding="utf-8")
    assert text.count("无数据") == len(items.items()) - 2 and "| √ |" not in text
    assert "| 8 数据备份 |  |  | 未配置" in text  # no backup job configured: never 正常
    assert "| 10 运行日志 |  |  | 未配置（未启用 [syslog] 接收，不代表正常） |" in text  # no [syslog]


def test_report_timer_form_and_formats(config: Path, seed: ModuleType,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert at_time(["report", "--week", "last", "--config", str(config)], seed.NOW) == 0  # Monday 09:00
    path = Path(capsys.readouterr().out.strip())
    assert (path.parent.name, path.name) == ("reports", "report-2026-W47.md")
    assert "**超过 2 小时**" in path.read_text(encoding="utf-8")
    out = config.parent / "w47.json"
    assert main(["report", "--config", str(config), "--week", "2026-W47", "--format", "json",
                 "--out", str(out)]) == 0
    assert '"over_limit": 1' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("section", "name"), [
    ('[notify]\nurls = ["{url}"]\n', "json"),
    ('[[notify.receivers]]\nname = "leaders"\nurls = ["{url}"]\n', "leaders"),
])
def test_report_sent_with_attachment(config: Path, receiver: object, section: str, name: str) -> None:
    text = config.read_text(encoding="utf-8")
    notify = section.format(url=receiver.url)  # type: ignore[attr-defined]
    config.write_text(text.replace("devices = []\n", f"devices = []\n{notify}"), encoding="utf-8")
    assert main(["report", "--config", str(config), "--week", "2026-W47", "--format", "pdf",
                 "--send", name]) == 0
    [body] = receiver.bodies()  # type: ignore[attr-defined]
    assert body["title"] == "中心机房巡检周报告 2026-W47"
    assert "全部正常天数 3/7" in body["message"]
    [attached] = body["attachments"]
    assert attached["filename"] == "report-2026-W47.pdf"


def test_failed_send_keeps_the_file_and_leaks_no_secret(config: Path, receiver: object,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    secret_url = receiver.url.replace("json://", "json://duty:S3cretPass@")  # type: ignore[attr-defined]
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("devices = []\n", f'devices = []\n[notify]\nurls = ["{secret_url}"]\n'),
                      encoding="utf-8")
    receiver.status = 500  # type: ignore[attr-defined]
    assert main(["report", "--config", str(config), "--week", "2026-W47", "--send", "0"]) == 1
    out, err = capsys.readouterr()
    assert Path(out.strip()).exists() and "not delivered" in err and "S3cretPass" not in out + err


@pytest.mark.parametrize(("argv", "message"), [
    (["report", "--week", "2026-W60"], "--week '2026-W60': expected YYYY-Www"),
    (["report", "--send", "mailto"], "--send 'mailto': no receiver matches (receivers: none"),
    (["inspect", "--date", "16/11/2026"], "--date '16/11/2026': expected YYYY-MM-DD"),
])
def test_bad_arguments_say_what_is_wrong(config: Path, argv: list[str], message: str,
                                         capsys: pytest.CaptureFixture[str], seed: ModuleType) -> None:
    assert main([*argv, "--config", str(config)]) == 2
    assert message in capsys.readouterr().err
