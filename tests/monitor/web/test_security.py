"""The console's locks besides the route walk (test_security_routes.py): the API takes no
cross-site request and JSON only, /metrics open to loopback only, slowed password guessing,
protective headers, append-only records."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from alerts.ack import Acks
from monitor.report import items
from monitor.report.book import InspectionBook
from monitor.report.items import ItemResult, Status
from monitor.web.accounts import Accounts, Role, User
from monitor.web.throttle import FREE_FAILURES
from tests.monitor.web.conftest import PASSWORD, T0, TODAY, Console, csrf


def _bearer(console: Console, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {console.src.accounts.new_token(name, now=T0, by='test')}"}


def _basic(name: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()}


SILENCE = '{"matchers": ["device=th-1"], "duration": "1h", "comment": "x"}'


def test_an_api_write_without_a_json_content_type_is_415(console: Console) -> None:
    # A page of another site can post a form or text/plain (no CORS preflight) with the API
    # login the browser remembers: the API takes JSON only.
    oper = _basic("oper1")
    plain = console.client.post("/api/v1/silences", content=SILENCE.encode(),
                                headers={**oper, "Content-Type": "text/plain"})
    assert plain.status_code == 415
    assert plain.json()["error"].startswith("send the body as JSON with Content-Type: application/json")
    form = console.client.post("/api/v1/silences", data={"matchers": "device=th-1", "comment": "x"},
                               headers=oper)
    assert form.status_code == 415
    fingerprint = console.fire()
    bare = console.client.post(f"/api/v1/alerts/{fingerprint}/ack", headers=oper)  # fetch() without a body
    assert bare.status_code == 415
    assert console.client.get("/api/v1/silences", headers=oper).json() == []
    assert Acks(console.src.alerts_db).all() == {}
    sent = console.client.post("/api/v1/silences", content=SILENCE.encode(),
                               headers={**oper, "Content-Type": "application/json; charset=utf-8"})
    assert sent.status_code == 201
    sid = sent.json()["id"]
    with_body = console.client.request("DELETE", f"/api/v1/silences/{sid}", content=b"x",
                                       headers={**oper, "Content-Type": "text/plain"})
    assert with_body.status_code == 415
    assert console.client.delete(f"/api/v1/silences/{sid}", headers=oper).status_code == 200  # no body


def test_the_api_refuses_what_a_browser_marks_as_from_another_site(console: Console) -> None:
    oper = _bearer(console, "oper1")
    for site in ("cross-site", "same-site"):  # same-site: another port of the console's host
        headers = {**oper, "Sec-Fetch-Site": site}
        answer = console.client.post("/api/v1/silences", content=SILENCE.encode(),
                                     headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code == 403 and "another site" in answer.json()["error"]
        assert console.client.get("/api/v1/alerts", headers=headers).status_code == 403
    assert console.client.get("/api/v1/silences", headers=oper).json() == []
    for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {}):
        assert console.client.get("/api/v1/alerts", headers={**oper, **headers}).status_code == 200
        answer = console.client.post("/api/v1/silences", content=SILENCE.encode(),
                                     headers={**oper, **headers, "Content-Type": "application/json"})
        assert answer.status_code == 201


def test_metrics_are_open_to_loopback_only(console: Console) -> None:
    assert console.client.get("/metrics").status_code == 401  # the test client is not loopback
    with TestClient(console.client.app, client=("127.0.0.1", 50000)) as local:
        assert local.get("/metrics").status_code == 200
        assert local.get("/api/v1/alerts").status_code == 401  # loopback opens /metrics, nothing else


def test_the_viewer_is_shown_no_action_form(console: Console) -> None:
    console.fire()
    page = console.login("viewer1").get("/alerts").text
    assert 'action="/alerts/ack"' not in page and 'id="silence-add"' not in page


@pytest.mark.parametrize(("db", "table"), [("web.db", "audit"), ("inspections.db", "sheets"),
                                          ("inspections.db", "reviews"), ("inspections.db", "entries")])
def test_the_audit_log_and_the_inspection_records_are_append_only(console: Console, db: str,
                                                                  table: str) -> None:
    oper, admin = _bearer(console, "oper1"), _bearer(console, "admin1")
    marks = {name: {"status": "normal"} for name in console.settings.web.manual_items}
    sheet = console.client.post("/api/v1/inspection/sign", json={"day": TODAY, "items": marks}, headers=oper)
    review = console.client.post("/api/v1/inspection/review", json={"sheet": sheet.json()["sheet"]},
                                 headers=admin)
    assert review.status_code == 200
    book = InspectionBook(console.src.state_dir / "inspections.db")
    book.add(day=TODAY, start=T0 - 3600, end=T0, now=T0, reviewer="",
             items=[ItemResult(key=i.key, status=Status.NO_DATA) for i in items.items()])
    book.close()
    conn = sqlite3.connect(console.src.state_dir / db)
    try:
        [(rows,)] = conn.execute(f"SELECT count(*) FROM {table}").fetchall()
        assert rows >= 1  # a trigger only fires on rows
        for sql in (f"UPDATE {table} SET rowid = rowid", f"DELETE FROM {table}"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(sql)
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchall() == [(rows,)]
    finally:
        conn.close()


def test_five_wrong_passwords_make_the_next_attempt_wait(console: Console) -> None:
    client = console.client
    for _ in range(FREE_FAILURES):
        token = csrf(client.get("/login").text)
        answer = client.post("/login", data={"name": "oper1", "password": "guess", "csrf": token})
        assert answer.status_code == 401
    token = csrf(client.get("/login").text)
    # Even the right password waits now: guessing speed is bounded, whatever the guess.
    answer = client.post("/login", data={"name": "oper1", "password": PASSWORD, "csrf": token})
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) >= 30
    basic = base64.b64encode(f"oper1:{PASSWORD}".encode()).decode()
    assert client.get("/api/v1/alerts", headers={"Authorization": f"Basic {basic}"}).status_code == 429
    console.clock.now = T0 + 31
    assert console.login("oper1").get("/").status_code == 200


def test_throttle_doubles_and_a_success_clears_it() -> None:
    from monitor.web.throttle import Throttle

    throttle = Throttle(base=30, most=100)
    keys = ["user:a"]
    for i in range(FREE_FAILURES):
        assert throttle.wait(keys, 0) == 0
        throttle.failed(keys, 0)
        assert i < FREE_FAILURES - 1 or throttle.wait(keys, 0) == 30
    throttle.failed(keys, 30)
    assert throttle.wait(keys, 30) == 60
    throttle.failed(keys, 90)
    throttle.failed(keys, 90)
    assert throttle.wait(keys, 90) == 100  # capped
    throttle.succeeded(keys)
    assert throttle.wait(keys, 90) == 0


def test_pages_carry_the_protective_headers(console: Console) -> None:
    answer = console.client.get("/login")
    assert answer.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "samesite=strict" in answer.headers["set-cookie"].lower()
    assert "httponly" in answer.headers["set-cookie"].lower()


def test_login_next_never_leaves_the_console(console: Console) -> None:
    token = csrf(console.client.get("/login?next=https://evil.example/").text)
    answer = console.client.post("/login", data={"name": "oper1", "password": PASSWORD, "csrf": token,
                                                 "next": "//evil.example/"}, follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_a_remembered_basic_auth_password_stops_working_when_it_is_changed(console: Console) -> None:
    def basic(password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"oper1:{password}".encode()).decode()}

    assert console.client.get("/api/v1/alerts", headers=basic(PASSWORD)).status_code == 200
    assert console.client.get("/api/v1/alerts", headers=basic(PASSWORD)).status_code == 200  # remembered
    console.src.accounts.add("oper1", Role.OPERATOR, "a brand new password", now=T0, by="test")
    assert console.client.get("/api/v1/alerts", headers=basic(PASSWORD)).status_code == 401
    assert console.client.get("/api/v1/alerts", headers=basic("a brand new password")).status_code == 200
    console.clock.now = T0 + 10_000  # past VERIFIED_FOR: verified afresh, still fine
    assert console.client.get("/api/v1/alerts", headers=basic("a brand new password")).status_code == 200


def test_a_copied_session_cookie_stops_working_at_logout_and_at_a_new_password(console: Console) -> None:
    client = console.login("oper1")
    stolen = dict(client.cookies)  # what someone copied from this browser
    console.clock.now = T0 + 60
    client.post("/logout", data={"csrf": csrf(client.get("/").text)}, follow_redirects=False)
    with TestClient(console.client.app, cookies=stolen) as thief:
        assert thief.get("/", follow_redirects=False).status_code == 303  # to the login page
    # A session begun before the password was set again ends too; one begun after works.
    client = console.login("oper1")
    stolen = dict(client.cookies)
    console.clock.now = T0 + 120
    console.src.accounts.add("oper1", Role.OPERATOR, "a brand new password", now=console.clock.now, by="test")
    with TestClient(console.client.app, cookies=stolen) as thief:
        assert thief.get("/", follow_redirects=False).status_code == 303
    console.clock.now = T0 + 180
    assert console.login("oper1", "a brand new password").get("/", follow_redirects=False).status_code == 200


def test_a_web_db_from_before_session_ids_opens_and_its_accounts_log_in(tmp_path: Path) -> None:
    path = tmp_path / "web.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT NOT NULL, "
                "token TEXT NOT NULL, created REAL NOT NULL)")
    old.commit()
    old.close()
    accounts = Accounts(path)
    try:
        accounts.add("oper1", Role.OPERATOR, PASSWORD, now=T0, by="test")
        assert accounts.session_user("oper1", "sid-1", T0 + 1) == User(name="oper1", role=Role.OPERATOR)
        accounts.end_session("sid-1", now=T0 + 2, keep=3600)
        assert accounts.session_user("oper1", "sid-1", T0 + 1) is None
        assert accounts.session_user("oper1", "sid-2", T0 - 1) is None  # began before the password
    finally:
        accounts.close()


def test_guessing_at_a_name_from_one_machine_does_not_lock_its_owner_out_on_another(console: Console) -> None:
    with TestClient(console.client.app, client=("192.0.2.66", 50000)) as guesser:
        for _ in range(FREE_FAILURES + 2):
            token = csrf(guesser.get("/login").text)
            guesser.post("/login", data={"name": "oper1", "password": "guess", "csrf": token})
        token = csrf(guesser.get("/login").text)
        answer = guesser.post("/login", data={"name": "viewer1", "password": PASSWORD, "csrf": token})
        assert answer.status_code == 429  # that machine waits, whichever name it tries next
    assert console.login("oper1").get("/").status_code == 200  # the owner, elsewhere, does not
    basic = {"Authorization": "Basic " + base64.b64encode(f"oper1:{PASSWORD}".encode()).decode()}
    assert console.client.get("/api/v1/alerts", headers=basic).status_code == 200


def test_password_checks_running_side_by_side_are_counted_before_they_finish() -> None:
    from monitor.web.throttle import Throttle

    throttle = Throttle(base=30)
    keys = ["user:oper1@192.0.2.66", "client:192.0.2.66"]
    # Worker threads each start a check before any has finished: each start counts at once.
    assert [throttle.attempt(keys, 0) for _ in range(FREE_FAILURES)] == [0.0] * FREE_FAILURES
    assert throttle.attempt(keys, 0) == 30
    throttle.succeeded(keys)  # one of them was right after all
    assert throttle.attempt(keys, 0) == 0
