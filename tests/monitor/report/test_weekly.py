"""The weekly report of the seeded week: golden Markdown, JSON numbers, PDF read back, and a
week with no data at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest

from monitor.core.model import Alert, AlertState, Severity, fingerprint
from monitor.report import items, render, weekly
from monitor.report.acks import ack_times
from monitor.report.book import InspectionBook
from monitor.report.incidents import Breach

DATA = Path(__file__).parent / "data"
TZ = ZoneInfo("Asia/Shanghai")
SWITCH_ALERT = fingerprint("device_down", {"device": "sw-core", "kind": "switch", "level": "1",
                                           "room": "A101"})


def build(seed: ModuleType, db: Path, state: Path, week: int = 47,
          now: float | None = None) -> weekly.Report:
    store = seed.open_store(db)
    book = InspectionBook(state / "inspections.db")
    try:
        return weekly.build(store, year=2026, week=week, tz=TZ, tz_name="Asia/Shanghai",
                            now=seed.NOW if now is None else now,
                            table=items.items(), book=book, acks=ack_times(state),
                            designs={"ups-1": 480.0}, reviewer="张主任")
    finally:
        store.close()
        book.close()


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory, seed: ModuleType) -> Path:
    path = tmp_path_factory.mktemp("state")
    seed.write_acks(path, {SWITCH_ALERT: seed.SW_DOWN + 25 * 60})
    return path


@pytest.fixture(scope="module")
def report(seed: ModuleType, seeded_db: Path, state: Path) -> weekly.Report:
    return build(seed, seeded_db, state)


def golden(name: str, text: str) -> None:
    path = DATA / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; UPDATE_GOLDEN=1 regenerates"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_markdown_matches_golden(report: weekly.Report, lang: str) -> None:
    golden(f"week47.{lang}.md", render.weekly_markdown(report, TZ, lang))


def test_numbers(report: weekly.Report) -> None:
    doc = json.loads(render.weekly_json(report))
    assert doc["summary"] == {"days_all_normal": 3, "abnormal_items": 5, "open_issues": 0, "over_limit": 1,
                              "flaps": 0}
    grid = {d["day"]: {i["key"]: i["status"] for i in d["items"]} for d in doc["days"]}
    assert grid["2026-11-16"]["environment"] == "abnormal"
    assert grid["2026-11-17"]["power"] == grid["2026-11-17"]["ipmac"] == "abnormal"
    assert grid["2026-11-18"]["network"] == "abnormal" and grid["2026-11-19"]["config"] == "abnormal"
    assert all(v == "normal" for k, v in grid["2026-11-20"].items() if k not in ("posture", "logs"))
    assert grid["2026-11-20"]["logs"] == "not_configured"
    assert grid["2026-11-20"]["posture"] == "no_data"  # no server posture in this week's data
    [temp] = [f for d in doc["days"] for i in d["items"] for f in i["findings"] if f["item"] == "environment"]
    assert (temp["value"], temp["end"] - temp["start"]) == (29.4, 2400)
    assert temp["clause"].startswith("《信息中心机房管理制度》四、环境管理制度 第5条")  # the pack's own
    assert temp["alert"] == "room_temperature" and temp["device"] == "th-a101"
    assert doc["outside_band_s"] == {"A101": 2400}
    [ups] = doc["ups"]
    assert (ups["on_battery_s"], ups["lowest_capacity"], ups["lowest_runtime"], ups["design_runtime"]) == \
        (360, 92, 95, 480)
    down = next(i for i in doc["incidents"] if i["rule"] == "device_down")
    assert (down["ttr_s"], down["tta_s"], down["breach"]) == (3 * 3600, 25 * 60, "over_2h")
    assert down["acked_by"] == "duty"
    assert [i["breach"] for i in doc["incidents"]].count("within") == 4
    assert [f["device"] for f in doc["config_changes"]] == ["fw-1"]
    assert [f["labels"]["ip"] for f in doc["ipmac_violations"]] == ["192.0.2.45"]
    assert doc["availability"]["fully_up"] == 2
    assert [d for d, _ in doc["availability"]["below"]] == ["sw-core"]


def test_pdf_reads_back(report: weekly.Report, tmp_path: Path) -> None:
    pdf = tmp_path / "week47.pdf"
    pdf.write_bytes(render.weekly_pdf(report, TZ, "zh"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    for heading in ("中心机房巡检周报告", "一、概要", "二、每日检查表", "三、异常情况说明", "四、机房环境",
                    "五、UPS", "九、故障处置时效", "十、设备配置变更", "十一、IP–MAC 绑定违规",
                    "十二、数据备份", "1 电源、UPS", "3 机房环境", "8 数据备份", "巡检人", "自动巡检",
                    "张主任"):
        assert heading in text, heading
    for number in ("29.4", "40 分钟", "6 分钟", "3 小时 00 分钟", "超过 2 小时", "192.0.2.45", "98.21"):
        assert number in text, number
    # A page as an image, for the developer to look at (tests only check it renders).
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
                   check=True, timeout=60)
    assert (tmp_path / "p-1.png").stat().st_size > 10_000
    if os.environ.get("REPORT_PNG"):
        shutil.copy(tmp_path / "p-1.png", os.environ["REPORT_PNG"])


def test_html_is_self_contained(report: weekly.Report) -> None:
    html = render.weekly_html(report, TZ, "en")
    assert html.count("data:image/png;base64,") == 1  # one room, one chart
    assert "past 2 h" in html and "http://" not in html and "https://" not in html


def test_week_without_data_says_so(seed: ModuleType, tmp_path: Path) -> None:
    empty = seed.open_store(tmp_path / "empty.db")
    empty.close()
    rep = build(seed, tmp_path / "empty.db", tmp_path)
    text = render.weekly_markdown(rep, TZ, "zh")
    assert "本周没有任何监测数据与告警记录" in text
    assert rep.days_all_normal == 0 and rep.abnormal_cells == 0
    assert all(i.status.value == ("not_configured" if i.key in ("backup", "logs") else "no_data")
               for d in rep.days for i in d.items)
    grid_rows = [line for line in text.splitlines() if line.startswith("| 1 电源")]
    assert grid_rows == ["| 1 电源、UPS | — | — | — | — | — | — | — |"]
    pdf = render.weekly_pdf(rep, TZ, "en")
    assert pdf.startswith(b"%PDF")


def test_stored_records_fill_the_grid(seed: ModuleType, seeded_db: Path, tmp_path: Path) -> None:
    from monitor.report.items import ItemResult, Status

    book = InspectionBook(tmp_path / "inspections.db")
    table = items.items()
    rows = [ItemResult(key=i.key, status=Status.NORMAL, series=1) for i in table]
    book.add(day="2026-11-16", start=0, end=1, now=seed.NOW, items=rows, reviewer="")
    book.close()
    rep = build(seed, seeded_db, tmp_path)
    assert rep.days[0].source == "record" and rep.days[0].status("environment") is Status.NORMAL
    assert rep.days[1].source == "computed"


def test_open_incident_is_measured_to_now_not_to_the_week_end(seed: ModuleType, tmp_path: Path) -> None:
    """`report --week this` two minutes after an alert started: two minutes, open, no breach
    (it once said 83 h 45 min past 4 h, measuring to the end of a week that had not happened)."""
    now = seed.at(3, 12, 0)  # Thursday noon of the report's own week
    store = seed.open_store(tmp_path / "roomwatch.db")
    base = {"rule": "device_down", "labels": seed.SWITCH, "severity": Severity.CRITICAL,
            "value": 0.0, "active_at": now - 120, "summary": "down"}
    store.write_alerts([Alert(state=AlertState.FIRING, fired_at=now - 60, **base)])
    store.close()
    report = build(seed, tmp_path / "roomwatch.db", tmp_path, now=now)
    [incident] = report.incidents
    assert incident.resolved is None and incident.ttr == 120
    assert incident.breach is Breach.OPEN and not report.breaches
    text = render.weekly_markdown(report, TZ, "zh")
    assert "超过 4 小时（违规）" not in text and "未修复" in text


def test_the_interface_table_shows_what_is_busy_or_in_error_not_idle_ports() -> None:
    from monitor.report.judge import Loaded
    from monitor.store.base import Rollup

    def rows(metric: str, peaks: dict[str, float]) -> list[Rollup]:
        return [Rollup(metric=metric, labels={"device": "sw", "ifname": name}, hour=0.0, min=0.0, max=peak,
                       avg=peak / 2, count=60) for name, peak in peaks.items()]

    idle = {f"Gi0/{n}": 0.0 for n in range(3, 13)}  # ten ports at 0: the old table's whole content
    data = Loaded(start=0.0, end=3600.0, rollups={
        "if_utilization_percent": rows("if_utilization_percent", {**idle, "Gi0/1": 62.4, "Gi0/2": 0.0}),
        "if_in_errors_per_second": rows("if_in_errors_per_second", {**idle, "Gi0/1": 0.0, "Gi0/2": 3.5}),
    })
    listed, idle_count = weekly._interfaces(data, top=10)
    assert listed == [("sw", "Gi0/2", 0.0, 3.5), ("sw", "Gi0/1", 62.4, 0.0)]
    assert idle_count == 10
    # A port whose errors were never read shows no error figure rather than a made-up 0.
    only_util = Loaded(start=0.0, end=3600.0, rollups={"if_utilization_percent": rows(
        "if_utilization_percent", {"Gi0/1": 5.0})})
    assert weekly._interfaces(only_util, top=10) == ([("sw", "Gi0/1", 5.0, None)], 0)
