"""The console's locks: no login → refused, CSRF, roles, slowed password guessing, no secret shown."""

from __future__ import annotations

import base64

import pytest

from alerts.ack import Acks
from monitor.web.accounts import Role
from monitor.web.throttle import FREE_FAILURES
from tests.monitor.web.conftest import COMMUNITY, NOTIFY_TOKEN, PASSWORD, T0, Console, csrf

PAGES = ["/", "/alerts", "/audit"]
POSTS = ["/alerts/ack", "/silences", "/silences/1/expire"]
API_GETS = ["/api/v1/overview", "/api/v1/alerts", "/api/v1/alerts/history", "/api/v1/silences",
            "/api/v1/audit", "/api/v2/alerts", "/api/v2/status", "/metrics"]
API_WRITES = [("POST", "/api/v1/alerts/0123456789abcdef/ack"), ("POST", "/api/v1/silences"),
              ("DELETE", "/api/v1/silences/1")]


def test_every_page_sends_an_anonymous_visitor_to_the_login(console: Console) -> None:
    for path in PAGES:
        answer = console.client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
    for path in POSTS:
        answer = console.client.post(path, data={}, follow_redirects=False)
        assert answer.status_code == 303, path


def test_every_api_call_without_credentials_is_401(console: Console) -> None:
    for path in API_GETS:
        answer = console.client.get(path)
        assert answer.status_code == 401, path
        assert answer.headers["www-authenticate"].startswith("Basic")
    for method, path in API_WRITES:
        assert console.client.request(method, path, json={}).status_code == 401, path


def test_api_ignores_the_session_cookie(console: Console) -> None:
    client = console.login("admin1")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/alerts").status_code == 401  # a cross-site request would carry it


def test_post_without_or_with_a_wrong_csrf_token_is_refused(console: Console) -> None:
    fingerprint = console.fire()
    client = console.login("oper1")
    assert client.post("/alerts/ack", data={"id": fingerprint}).status_code == 403
    assert client.post("/alerts/ack", data={"id": fingerprint, "csrf": "forged"}).status_code == 403
    assert Acks(console.src.alerts_db).all() == {}


def test_login_form_itself_needs_the_csrf_token(console: Console) -> None:
    answer = console.client.post("/login", data={"name": "oper1", "password": PASSWORD})
    assert answer.status_code == 403


def test_viewer_cannot_act_by_page_or_api(console: Console) -> None:
    fingerprint = console.fire()
    client = console.login("viewer1")
    page = client.get("/alerts").text
    assert 'action="/alerts/ack"' not in page and 'id="silence-add"' not in page
    assert client.post("/alerts/ack", data={"csrf": csrf(page), "id": fingerprint}).status_code == 403
    assert client.post("/silences", data={"csrf": csrf(page), "matchers": "device=th-1",
                                          "comment": "x"}).status_code == 403
    token = console.src.accounts.new_token("viewer1", now=T0, by="test")
    bearer = {"Authorization": f"Bearer {token}"}
    ack = console.client.post(f"/api/v1/alerts/{fingerprint}/ack", json={}, headers=bearer)
    assert ack.status_code == 403
    assert console.client.post("/api/v1/silences", json={"matchers": ["device=th-1"], "comment": "x"},
                               headers=bearer).status_code == 403
    assert Acks(console.src.alerts_db).all() == {}


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


@pytest.fixture
def everything(console: Console) -> list[str]:
    """The text of every page and API answer a logged-in admin can get."""
    fingerprint = console.fire()
    token = console.src.accounts.new_token("admin1", now=T0, by="test")
    client = console.login("admin1")
    bodies = [client.get(p).text for p in [*PAGES, "/?lang=en", "/alerts?lang=en", "/login"]]
    headers = {"Authorization": f"Bearer {token}"}
    console.client.post(f"/api/v1/alerts/{fingerprint}/ack", json={"comment": "ok"}, headers=headers)
    bodies += [console.client.get(p, headers=headers).text for p in API_GETS]
    return [*bodies, token]


def test_no_secret_in_any_page_or_answer(everything: list[str]) -> None:
    *bodies, token = everything
    assert len(bodies) == len(PAGES) + 3 + len(API_GETS) and all(bodies)
    for body in bodies:
        for secret in (COMMUNITY, NOTIFY_TOKEN, PASSWORD, token, "$argon2"):
            assert secret not in body


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
