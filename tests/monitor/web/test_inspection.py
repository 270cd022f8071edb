"""巡检 in the console: automatic items as written, manual items signed by 巡检人 then 审核人, immutable."""

from __future__ import annotations

import re
import sqlite3

import pytest

from monitor.report import items
from monitor.report.book import InspectionBook
from monitor.report.items import Finding, ItemResult, Observed, Status
from tests.monitor.web.conftest import T0, TODAY, Console, csrf

MANUAL = ["消防设施", "门禁", "漏水", "卫生"]


def _form(page: str, marks: dict[int, str], **extra: str) -> dict[str, str]:
    form = {"csrf": csrf(page), "day": TODAY, **extra}
    for n, mark in marks.items():
        form[f"status-{n}"] = mark
        form[f"note-{n}"] = "灭火器压力正常" if n == 0 else ""
    return form


def test_without_a_written_record_every_automatic_item_reads_no_data(console: Console) -> None:
    html = console.login("viewer1").get("/inspection").text
    automatic = html[html.index('id="automatic"'):html.index("</table>", html.index('id="automatic"'))]
    assert "当日尚无自动巡检记录" in html
    assert automatic.count("无数据") == len(items.items()) and "正常" not in automatic
    assert all(name in html for name in MANUAL)
    assert 'id="sign-form"' not in html  # a viewer does not sign


def _write(console: Console, results: list[ItemResult]) -> None:
    book = InspectionBook(console.src.state_dir / "inspections.db")
    book.add(day=TODAY, start=T0 - 4 * 3600, end=T0 + 20 * 3600, now=T0, items=results, reviewer="")
    book.close()


def _row(html: str, name: str) -> str:
    start = html.index(f"<td>{name}</td>")
    return html[start:html.index("</tr>", start)]


def test_normal_without_series_read_shows_no_data(console: Console) -> None:
    # An entry saying 正常 over no series has no evidence for it: never shown as 正常.
    _write(console, [ItemResult(key=i.key, status=Status.NORMAL if i.key == "power" else Status.NO_DATA)
                     for i in items.items()])
    html = console.login("viewer1").get(f"/inspection?day={TODAY}").text
    row = _row(html, "电源、UPS")
    assert "无数据" in row and "正常" not in row and "读取序列 0" in row and "当日临时记录" in html


def test_automatic_items_show_the_books_newest_entry_with_its_evidence(console: Console) -> None:
    hot = Finding(item="environment", device="th-1", metric="temperature_celsius", value=29.4,
                  start=T0 - 3600, end=T0 - 1800, unit="°C", alert="room_temperature_high")
    ac = (Observed(device="ac-1", metric="ac_running", low=1.0, high=1.0),
          Observed(device="ac-1", metric="ac_supply_temperature_celsius", low=15.0, high=18.2))
    results = {"power": ItemResult(key="power", status=Status.NORMAL, series=4),
               "environment": ItemResult(key="environment", status=Status.ABNORMAL, series=7,
                                         findings=(hot,), observed=ac),
               "backup": ItemResult(key="backup", status=Status.NORMAL, series=2,
                                    details=({"job": "erp", "age_hours": 3.0},))}
    _write(console, [results.get(i.key, ItemResult(key=i.key, status=Status.NO_DATA)) for i in items.items()])
    client = console.login("viewer1")
    html = client.get(f"/inspection?day={TODAY}").text
    power = _row(html, "电源、UPS")
    assert 'class="normal">正常' in power and "读取序列 4" in power
    room = _row(html, "机房环境")
    assert 'class="abnormal">异常' in room and "读取序列 7" in room
    assert "th-1: temperature_celsius = 29.4 °C, 03:26–03:56 (30 分钟), 告警 room_temperature_high" in room
    assert "空调 ac-1: 全天运行, 送风最高 18.2 °C" in room
    # The API answers the same evidence, structured.
    token = console.src.accounts.new_token("viewer1", now=T0, by="test")
    view = client.get(f"/api/v1/inspection?day={TODAY}", headers={"Authorization": f"Bearer {token}"}).json()
    rows = {r["key"]: r for r in view["automatic"]}
    assert rows["power"]["status"] == "normal" and rows["power"]["series"] == 4
    assert rows["environment"]["findings"] == [hot.to_dict()]
    assert rows["environment"]["observed"] == [o.to_dict() for o in ac]
    assert rows["backup"]["details"] == [{"job": "erp", "age_hours": 3.0}]
    assert rows["ipmac"]["status"] == "no_data" and rows["ipmac"]["series"] == 0
    assert rows["power"]["name"] == "电源、UPS"  # [web] lang; an API client may ask for English
    english = client.get(f"/api/v1/inspection?day={TODAY}&lang=en",
                         headers={"Authorization": f"Bearer {token}"}).json()
    assert {r["key"]: r["name"] for r in english["automatic"]}["power"] == "Power, UPS"


def test_evidence_is_escaped(console: Console) -> None:
    odd = Finding(item="network", device="<script>alert(1)</script>", metric="if_oper_up", value=0.0,
                  start=T0 - 60, end=None)
    _write(console, [ItemResult(key="network", status=Status.ABNORMAL, series=1, findings=(odd,))])
    html = console.login("viewer1").get(f"/inspection?day={TODAY}").text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_automatic_items_follow_the_users_language(console: Console) -> None:
    _write(console, [ItemResult(key="power", status=Status.NORMAL, series=4)])
    client = console.login("viewer1")
    html = client.get(f"/inspection?day={TODAY}&lang=en").text
    row = _row(html, "Power, UPS")
    assert ">Normal<" in row and "Series read 4" in row and "电源" not in html
    assert "Servers" in html and "No data" in _row(html, "Servers")
    assert "电源、UPS" in client.get(f"/inspection?day={TODAY}&lang=zh").text


def test_sign_review_and_correct(console: Console) -> None:
    oper = console.login("oper1")
    page = oper.get("/inspection").text
    answer = oper.post("/inspection/sign", data=_form(page, {0: "normal", 1: "normal", 2: "abnormal",
                                                             3: "normal"}), follow_redirects=False)
    assert answer.status_code == 303
    page = oper.get("/inspection").text
    assert "巡检人: oper1" in page and "待审核" in page and "灭火器压力正常" in page
    assert 'id="review-form"' not in page  # one cannot review one's own sheet
    again = oper.post("/inspection/sign", data=_form(page, dict.fromkeys(range(4), "normal")))
    assert again.status_code == 409 and "already signed" in again.text
    console.clock.now = T0 + 600
    admin = console.client  # the same browser, another person logs in
    admin.cookies.clear()
    admin = console.login("admin1")
    page = admin.get("/inspection").text
    [sheet_id] = [int(x) for x in re.findall(r'name="sheet" value="(\d+)"', page)]
    assert admin.post("/inspection/review", data={"csrf": csrf(page), "day": TODAY, "sheet": str(sheet_id),
                                                  "comment": "已核"}).status_code == 200
    page = admin.get("/inspection").text
    assert "审核人: admin1" in page and "已核" in page
    twice = admin.post("/inspection/review", data={"csrf": csrf(page), "sheet": str(sheet_id), "comment": ""})
    assert twice.status_code == 409
    # A correction is a new sheet naming the old one; the old one stays as it was.
    fixed = admin.post("/inspection/sign", data=_form(page, dict.fromkeys(range(4), "normal"),
                                                      corrects=str(sheet_id)), follow_redirects=False)
    assert fixed.status_code == 303
    page = admin.get("/inspection").text
    assert f"更正记录，更正 #{sheet_id}" in page and page.count('class="sheet"') == 2
    assert page.index(f'id="sheet-{sheet_id}"') < page.index(f'id="sheet-{sheet_id + 1}"')
    actions = [e.action for e in console.src.accounts.audit()][:4]
    assert actions == ["inspection.correct", "inspection.review", "login", "inspection.sign"]


def test_every_manual_item_must_be_marked(console: Console) -> None:
    oper = console.login("oper1")
    page = oper.get("/inspection").text
    answer = oper.post("/inspection/sign", data=_form(page, {0: "normal", 1: "normal"}))
    assert answer.status_code == 409 and "漏水" in answer.text and "卫生" in answer.text


def test_signed_sheets_cannot_be_changed_even_in_sqlite(console: Console) -> None:
    oper = console.login("oper1")
    page = oper.get("/inspection").text
    oper.post("/inspection/sign", data=_form(page, dict.fromkeys(range(4), "normal")))
    db = sqlite3.connect(console.src.state_dir / "inspections.db")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE sheets SET inspector = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM sheets")
    db.close()


def test_inspection_by_api(console: Console) -> None:
    token = console.src.accounts.new_token("oper1", now=T0, by="test")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"day": TODAY, "items": {name: {"status": "normal"} for name in MANUAL}}
    answer = console.client.post("/api/v1/inspection/sign", json=body, headers=headers)
    assert answer.status_code == 201
    view = console.client.get(f"/api/v1/inspection?day={TODAY}", headers=headers).json()
    [sheet] = view["sheets"]
    assert sheet["inspector"] == "oper1" and [i["name"] for i in sheet["items"]] == MANUAL
    mine = console.client.post("/api/v1/inspection/review", json={"sheet": sheet["id"]}, headers=headers)
    assert mine.status_code == 409


def test_a_day_still_to_come_cannot_be_signed(console: Console) -> None:
    tomorrow = "2026-05-30"
    oper = console.login("oper1")
    page = oper.get(f"/inspection?day={tomorrow}").text
    assert 'id="sign-form"' not in page and "该日尚未到来" in page
    form = _form(oper.get("/inspection").text, dict.fromkeys(range(4), "normal"), day=tomorrow)
    answer = oper.post("/inspection/sign", data=form)
    assert answer.status_code == 400 and "has not come yet" in answer.text
    token = console.src.accounts.new_token("oper1", now=T0, by="test")
    body = {"day": tomorrow, "items": {name: {"status": "normal"} for name in MANUAL}}
    refused = console.client.post("/api/v1/inspection/sign", json=body,
                                  headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 400 and "has not come yet" in refused.text
    assert not any(e.action == "inspection.sign" for e in console.src.accounts.audit())


def test_a_past_day_can_be_signed_late(console: Console) -> None:
    oper = console.login("oper1")
    page = oper.get("/inspection?day=2026-05-27").text
    form = _form(page, dict.fromkeys(range(4), "normal"), day="2026-05-27")
    assert oper.post("/inspection/sign", data=form, follow_redirects=False).status_code == 303
    assert "巡检人: oper1" in oper.get("/inspection?day=2026-05-27").text


def test_reports_download_only_by_name_from_the_reports_folder(console: Console) -> None:
    folder = console.src.state_dir / "reports"
    folder.mkdir()
    (folder / "report-2026-W21.md").write_text("# 周报告", encoding="utf-8")
    client = console.login("viewer1")
    assert "report-2026-W21.md" in client.get("/inspection").text
    assert client.get("/reports/report-2026-W21.md").text == "# 周报告"
    assert client.get("/reports/..%2Fweb.db").status_code == 404
    assert client.get("/reports/web.db").status_code == 404
