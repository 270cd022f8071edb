"""The console's pages over real parts: overview, alerts with clause, ack, silences, audit."""

from __future__ import annotations

from alerts.ack import Acks
from alerts.silence import Silences
from tests.monitor.web.conftest import T0, Console, csrf


def test_overview_lists_rooms_devices_readings_and_alert_counts(console: Console) -> None:
    console.fire(35.0)
    page = console.login("viewer1").get("/")
    assert page.status_code == 200
    html = page.text
    assert "一号机房" in html and "th-1" in html and "ups-1" in html
    assert "temperature_celsius[inlet]=35" in html
    assert "警告: 1" in html  # one warning firing (room_temperature)
    # ups-1 was never polled: no data, never shown as up
    row = html[html.index("ups-1"):][:200]
    assert "无数据" in row and "在线" not in row
    assert '<meta http-equiv="refresh" content="30">' in html  # keeps itself current, no script
    assert "http-equiv" not in console.login("viewer1").get("/alerts").text  # a half-typed ack stays


def test_english_is_one_click_away_and_remembered(console: Console) -> None:
    client = console.login("viewer1")
    assert "Overview" in client.get("/?lang=en").text
    assert "Devices" in client.get("/").text
    assert "设备数" in client.get("/?lang=zh").text


def test_alert_summaries_follow_the_language_and_the_clause_keeps_the_regulation_s_words(
        console: Console) -> None:
    console.fire(35.0)
    client = console.login("viewer1")
    english = client.get("/alerts?lang=en").text
    assert "th-1 room temperature 35.0 °C" in english and "机房温度 35.0" not in english
    # A citation stays in the document's own words.
    assert "《信息中心机房管理制度》四、环境管理制度 第5条" in english
    assert "机房温度 35.0" in client.get("/alerts?lang=zh").text


def test_operator_acknowledges_with_name_and_comment_audited(console: Console) -> None:
    fingerprint = console.fire()
    client = console.login("oper1")
    page = client.get("/alerts").text
    assert fingerprint in page and "《信息中心机房管理制度》四、环境管理制度 第5条" in page
    console.clock.now = T0 + 60
    answer = client.post("/alerts/ack", data={"csrf": csrf(page), "id": fingerprint, "comment": "空调复位中"},
                         follow_redirects=False)
    assert answer.status_code == 303
    ack = Acks(console.src.alerts_db).all()[fingerprint]
    assert (ack.by, ack.comment, ack.ts) == ("oper1", "空调复位中", T0 + 60)
    # Shown in the [report] timezone the days are cut in (Asia/Shanghai), whatever the machine's zone.
    assert "已认领 oper1 2026-05-29 04:27" in client.get("/alerts").text
    audit = client.get("/audit").text
    assert "alert.ack" in audit and "空调复位中" in audit and "oper1" in audit and "2026-05-29 04:27" in audit


def test_silence_created_and_expired_from_the_page(console: Console) -> None:
    console.fire()
    client = console.login("oper1")
    token = csrf(client.get("/alerts").text)
    form = {"csrf": token, "matchers": "device=th-1 alertname=room_temperature", "duration": "2h",
            "comment": "割接"}
    answer = client.post("/silences", data=form, follow_redirects=False)
    assert answer.status_code == 303
    [silence] = Silences(console.src.alerts_db).active(T0 + 1)
    assert silence.ends == T0 + 7200 and silence.created_by == "oper1"
    assert f"已静默 #{silence.id}" in client.get("/alerts").text
    console.clock.now = T0 + 10
    assert client.post(f"/silences/{silence.id}/expire", data={"csrf": token},
                       follow_redirects=False).status_code == 303
    assert Silences(console.src.alerts_db).active(T0 + 11) == []
    actions = [e.action for e in console.src.accounts.audit()]
    assert actions[:2] == ["silence.expire", "silence.add"]


def test_bad_silence_is_a_clear_400_and_nothing_stored(console: Console) -> None:
    client = console.login("oper1")
    token = csrf(client.get("/alerts").text)
    answer = client.post("/silences", data={"csrf": token, "matchers": "device~~x", "comment": "x"})
    assert answer.status_code == 400 and "silence:" in answer.text
    assert Silences(console.src.alerts_db).all(T0, include_expired=True) == []


def test_history_shows_transitions_from_the_store(console: Console) -> None:
    console.fire()
    html = console.login("viewer1").get("/alerts").text
    history = html[html.index('id="history"'):]
    assert "room_temperature" in history and "th-1" in history
