"""Every route of the console, taken from the app itself (a new route cannot escape): refused without
a login, CSRF on every page POST, a viewer refused every action, no secret in any answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from collectors.ssh.history import ConfigHistory
from monitor.core.model import Reading
from monitor.core.secrets import secrets_in
from monitor.report import items
from monitor.report.book import InspectionBook
from monitor.report.items import ItemResult, Status
from monitor.web import app as app_mod
from monitor.web.accounts import AuditEntry
from tests.monitor.web.conftest import COMMUNITY, NOTIFY_TOKEN, PASSWORD, T0, TODAY, Console, csrf, parts_for

# Open without a login, on purpose.
PUBLIC = {
    ("GET", "/login"): "the login form",
    ("GET", "/static"): "the stylesheet the login form needs (a mount of files)",
}
# /metrics is open to loopback only (Prometheus on this host): test_security.py tests it.
# POST /login and POST /logout need no login but the form's CSRF token: the walk covers them.
NOT_ACTIONS = {"/login": "anyone may log in", "/logout": "anyone may log out"}

# Secrets planted in the config, one of each kind the config can hold (besides conftest's SNMP
# community and apprise token): none may appear in any answer.
V3_AUTH, V3_PRIV = "v3-auth-9d1f3c77", "v3-priv-4b8e2a10"
SSH_PASSWORD, WINRM_PASSWORD = "ssh-pass-61c0de5a", "winrm-pass-2f7a9b33"
INFLUX_TOKEN = "influx-token-0e4d8c21"
SMS_KEY_ID, SMS_SECRET = "aliyun-ak-id-73b5e9f0", "aliyun-ak-secret-c4a81d62"
PLANTED = [COMMUNITY, NOTIFY_TOKEN, V3_AUTH, V3_PRIV, SSH_PASSWORD, WINRM_PASSWORD, INFLUX_TOKEN,
           SMS_KEY_ID, SMS_SECRET]
SECRETS_CONFIG = f"""
[store.influxdb]
url = "http://127.0.0.1:9"
token = "{INFLUX_TOKEN}"
timeout = "1s"
[[notify.receivers]]
name = "duty-sms"
kind = "aliyun_sms"
numbers = ["+8613800000000"]
[notify.receivers.aliyun_sms]
access_key_id = "{SMS_KEY_ID}"
access_key_secret = "{SMS_SECRET}"
sign_name = "信息中心"
template_code = "SMS_100000001"
[[devices]]
name = "wan-router"
kind = "router"
room = "一号机房"
address = "192.0.2.1"
[devices.snmp]
version = "3"
user = "roomwatch"
auth_protocol = "SHA256"
auth_key = "{V3_AUTH}"
priv_protocol = "AES"
priv_key = "{V3_PRIV}"
[[devices]]
name = "core-sw-2"
kind = "switch"
room = "一号机房"
address = "192.0.2.2"
ssh = {{ device_type = "huawei", username = "roomwatch", password = "{SSH_PASSWORD}" }}
[[devices]]
name = "win-01"
kind = "server"
room = "一号机房"
address = "192.0.2.30"
winrm = {{ username = "roomwatch", password = "{WINRM_PASSWORD}" }}
"""

MANUAL = ["消防设施", "门禁", "漏水", "卫生"]
YESTERDAY, EARLIER = "2026-05-28", "2026-05-27"
REPORT = "report-2026-W21.md"
UNKNOWN = {"ip": "192.0.2.77", "mac": "02:00:00:00:00:77", "hostname": "printer-3f"}


@dataclass(frozen=True)
class Endpoint:
    """One method of one route, as the app declares it (``/silences/{id}/expire``)."""

    method: str
    path: str

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/") or self.path == "/metrics"

    @property
    def reads(self) -> bool:
        return self.method == "GET"


def endpoints(app: Starlette) -> list[Endpoint]:
    """Every method of every route (HEAD goes with GET); mounts as GET of their path."""
    found: list[Endpoint] = []
    for route in app.routes:
        if isinstance(route, Route):
            assert route.methods, route.path
            found += [Endpoint(m, route.path) for m in sorted(route.methods - {"HEAD"})]
        else:
            assert isinstance(route, Mount), route
            found.append(Endpoint("GET", route.path))
    return found


@dataclass
class World:
    """A console with planted secrets and some of everything in it, and what the walk sends."""

    console: Console
    app: Starlette
    bearer: dict[str, dict[str, str]]  # user → Authorization header
    params: dict[str, dict[str, str]] = field(default_factory=dict)  # route → its path parameters
    forms: dict[str, dict[str, str]] = field(default_factory=dict)  # page POST → a form that would act
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)  # API write → a body that would act

    @property
    def client(self) -> TestClient:
        return self.console.client

    def routes(self, *, public: bool = False) -> list[Endpoint]:
        return [e for e in endpoints(self.app) if public or (e.method, e.path) not in PUBLIC]

    def url(self, ep: Endpoint) -> str:
        if "{" not in ep.path:
            return ep.path
        assert ep.path in self.params, f"{ep.path}: give its path parameters in world()"
        return ep.path.format(**self.params[ep.path])

    def call(self, ep: Endpoint, *, headers: dict[str, str] | None = None, token: str = "") -> httpx.Response:
        """``ep`` with what would make it act: a JSON body for an API write, a form (with the
        CSRF ``token`` if given) for a page POST."""
        url = self.url(ep)
        if ep.reads:
            return self.client.get(url, headers=headers, follow_redirects=False)
        if ep.api:
            assert ep.path in self.bodies, f"{ep.method} {ep.path}: give a body that would act in world()"
            return self.client.request(ep.method, url, json=self.bodies[ep.path], headers=headers,
                                       follow_redirects=False)
        assert ep.path in self.forms, f"POST {ep.path}: give a form that would act in world()"
        form = {**self.forms[ep.path], **({"csrf": token} if token else {})}
        return self.client.post(url, data=form, headers=headers, follow_redirects=False)

    def audit(self) -> list[AuditEntry]:
        return self.console.src.accounts.audit()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings, parts, clock, src = parts_for(tmp_path, SECRETS_CONFIG)
    app = app_mod.build(src, https=False)
    with TestClient(app) as client:
        console = Console(client=client, src=src, parts=parts, clock=clock, settings=settings)
        yield _filled(console, app, tmp_path)
    src.accounts.close()
    parts.store.close()
    parts.outbox.close()


def _filled(console: Console, app: Starlette, tmp_path: Path) -> World:
    """An acknowledged alert and a fresh one, a silence, a reviewed sheet and a pending one, an
    automatic record, a saved report, two configuration versions, a registry and an unknown device."""
    bearer = {name: {"Authorization": f"Bearer {console.src.accounts.new_token(name, now=T0, by='test')}"}
              for name in ("viewer1", "oper1", "admin1")}
    w = World(console=console, app=app, bearer=bearer)
    acked = console.fire()
    fresh = console.fire(device="ups-1")
    oper, admin = bearer["oper1"], bearer["admin1"]

    def ok(answer: httpx.Response) -> Any:
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    ok(w.client.post(f"/api/v1/alerts/{acked}/ack", json={"comment": "在处理"}, headers=oper))
    sid = ok(w.client.post("/api/v1/silences", json={"matchers": ["device=ups-1"], "duration": "2h",
                                                    "comment": "换电池"}, headers=oper))["id"]
    marks = {name: {"status": "normal", "note": ""} for name in MANUAL}
    reviewed = ok(w.client.post("/api/v1/inspection/sign", json={"day": TODAY, "items": marks}, headers=oper))
    ok(w.client.post("/api/v1/inspection/review", json={"sheet": reviewed["sheet"], "comment": "已核"},
                     headers=admin))
    pending = ok(w.client.post("/api/v1/inspection/sign", json={"day": YESTERDAY, "items": marks},
                               headers=oper))["sheet"]
    book = InspectionBook(console.src.state_dir / "inspections.db")
    book.add(day=TODAY, start=T0 - 4 * 3600, end=T0 + 20 * 3600, now=T0, reviewer="",
             items=[ItemResult(key=i.key, status=Status.NO_DATA) for i in items.items()])
    book.close()
    (console.src.state_dir / "reports").mkdir()
    (console.src.state_dir / "reports" / REPORT).write_text("# 周报告", encoding="utf-8")
    history = ConfigHistory(console.src.state_dir / "configs.db")
    history.add("core-sw-2", "sysname core-sw-2\nsnmp-agent community read ******\n", T0 - 7200)
    history.add("core-sw-2", "sysname core-sw-2\nsnmp-agent community read ******\nntp 192.0.2.1\n", T0 - 60)
    history.close()
    registry = tmp_path / "bindings.csv"
    registry.write_text("ip,mac,hostname,owner,department,vlan,switch,port,note\r\n"
                        "192.0.2.20,02:00:00:00:00:20,pc-20,李四,财务,,,,\r\n", encoding="utf-8")
    console.settings.bindings.file = registry
    console.src.reload = lambda: None  # approving re-reads the registry in the daemon
    seen = {**{k: UNKNOWN[k] for k in ("ip", "mac")}, "device": "core-sw-2", "switch": "core-sw-2",
            "port": "GE0/0/7", "vlan": "10"}
    console.parts.store.write([Reading("arp_unknown_mac", 1.0, seen, T0 - 60)])
    console.parts.store.flush()

    w.params = {"/silences/{id}/expire": {"id": str(sid)}, "/reports/{name}": {"name": REPORT},
                "/api/v1/alerts/{id}/ack": {"id": fresh}, "/api/v1/silences/{id}": {"id": str(sid)}}
    sign_form = {"day": EARLIER, **{f"status-{i}": "normal" for i in range(len(MANUAL))}}
    w.forms = {"/login": {"name": "admin1", "password": PASSWORD}, "/logout": {},
               "/alerts/ack": {"id": fresh, "comment": "x"},
               "/silences": {"matchers": "device=th-1", "duration": "1h", "comment": "x"},
               "/silences/{id}/expire": {}, "/inspection/sign": sign_form,
               "/inspection/review": {"sheet": str(pending), "day": YESTERDAY, "comment": "x"},
               "/bindings/approve": UNKNOWN}
    w.bodies = {"/api/v1/alerts/{id}/ack": {"comment": "x"},
                "/api/v1/silences": {"matchers": ["device=th-1"], "duration": "1h", "comment": "x"},
                "/api/v1/silences/{id}": {}, "/api/v1/inspection/sign": {"day": EARLIER, "items": marks},
                "/api/v1/inspection/review": {"sheet": pending, "comment": "x"}, "/api/v1/bindings": UNKNOWN}
    return w


def _since(world: World, before: list[AuditEntry]) -> list[str]:
    last = before[0].id if before else 0
    return [e.action for e in world.audit() if e.id > last]


def test_the_public_routes_are_the_listed_ones_and_open(world: World) -> None:
    assert set(PUBLIC) <= {(e.method, e.path) for e in world.routes(public=True)}
    assert world.client.get("/login").status_code == 200
    assert world.client.get("/static/console.css").status_code == 200


def test_every_route_refuses_a_visitor_without_login_or_token(world: World) -> None:
    before = world.audit()
    for ep in world.routes():
        answer = world.call(ep)
        if ep.api:
            assert answer.status_code in (401, 403), (ep, answer.status_code)
        else:  # a page: to the login, or refused (the login and logout forms want their CSRF token)
            assert answer.status_code in (303, 401, 403), (ep, answer.status_code)
            assert answer.status_code != 303 or answer.headers["location"].startswith("/login?"), ep
    assert _since(world, before) == []


def test_the_api_ignores_the_session_cookie_on_every_route(world: World) -> None:
    world.console.login("admin1")  # a cross-site request would carry the cookie
    assert world.client.get("/").status_code == 200
    for ep in world.routes():
        if ep.api:
            assert world.call(ep).status_code == 401, ep


def test_every_page_post_needs_the_csrf_token(world: World) -> None:
    client = world.console.login("admin1")
    before = world.audit()
    for ep in world.routes():
        if not ep.api and not ep.reads:
            assert world.call(ep).status_code == 403, ep
            assert world.call(ep, token="forged").status_code == 403, ep
    assert _since(world, before) == []
    assert client.get("/").status_code == 200  # still logged in: /logout was refused as well


def test_a_viewer_is_refused_every_action_by_page_and_by_api(world: World) -> None:
    client = world.console.login("viewer1")
    token = csrf(client.get("/alerts").text)
    before = world.audit()
    acted = 0
    for ep in world.routes():
        if ep.reads or ep.path in NOT_ACTIONS:
            continue
        headers = world.bearer["viewer1"] if ep.api else None
        answer = world.call(ep, headers=headers, token=token)
        assert answer.status_code == 403, (ep, answer.status_code, answer.text[:200])
        acted += 1
    assert acted >= 12  # six actions, each by page and by API
    assert _since(world, before) == []


def test_every_api_write_wants_json_and_refuses_a_page_of_another_site(world: World) -> None:
    admin = world.bearer["admin1"]
    writes = [ep for ep in world.routes() if ep.api and not ep.reads]
    before = world.audit()
    for ep in writes:
        url = world.url(ep)
        plain = world.client.request(ep.method, url, content=b'{"comment": "x"}',
                                     headers={**admin, "Content-Type": "text/plain"})
        assert plain.status_code == 415 and "application/json" in plain.json()["error"], ep
        cross = world.client.request(ep.method, url, json=world.bodies[ep.path],
                                     headers={**admin, "Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403 and "another site" in cross.json()["error"], ep
    assert _since(world, before) == []
    for ep in world.routes():
        if ep.path.startswith("/api/v1/") and ep.reads:
            assert world.call(ep, headers={**admin, "Sec-Fetch-Site": "cross-site"}).status_code == 403, ep


def _everything(world: World) -> list[tuple[str, httpx.Response]]:
    """Every GET route as an admin (pages by session, the API by token), also with the query
    strings that show more (a diff, a past day, expired silences, English)."""
    more = {"/": ["?lang=en"], "/alerts": ["?lang=en"], "/inspection": [f"?day={TODAY}", f"?day={YESTERDAY}"],
            "/changes": ["?device=core-sw-2&a=1&b=2"], "/api/v1/silences": ["?all=1"],
            "/api/v1/inspection": [f"?day={YESTERDAY}"], "/api/v1/changes": ["?device=core-sw-2&a=1&b=2"]}
    world.console.login("admin1")
    found = []
    for ep in world.routes():
        if not ep.reads:
            continue
        headers = world.bearer["admin1"] if ep.api else None
        for url in [world.url(ep), *(ep.path + q for q in more.get(ep.path, []))]:
            found.append((url, world.client.get(url, headers=headers, follow_redirects=False)))
    return found


def test_no_secret_in_any_page_or_api_answer(world: World) -> None:
    secrets = set(secrets_in(world.console.settings))
    assert all(any(p in s for s in secrets) for p in PLANTED)  # each plant took
    answers = _everything(world)
    assert len(answers) >= 25
    for url, answer in answers:
        assert answer.status_code == 200, (url, answer.status_code)
        text = answer.text + "\n".join(f"{k}: {v}" for k, v in answer.headers.items())
        for secret in [*secrets, *PLANTED, PASSWORD, "$argon2",
                       *(h["Authorization"].split()[1] for h in world.bearer.values())]:
            assert secret not in text, (url, secret)
    changes = dict(answers)["/changes?device=core-sw-2&a=1&b=2"].text
    assert "+ntp 192.0.2.1" in changes  # the scan saw real content, not an empty page
    assert re.search(r"wan-router|win-01", dict(answers)["/api/v1/overview"].text)
