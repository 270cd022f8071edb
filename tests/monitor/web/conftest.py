"""A console over real parts (rules, store, alerts.db, accounts) built from a config, and a client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from monitor import config as config_mod
from monitor import wiring
from monitor.core.model import Reading
from monitor.web import app as app_mod
from monitor.web.accounts import Role
from monitor.web.console import sources_of
from monitor.web.latest import Latest
from monitor.web.sources import Sources

T0 = 1_780_000_000.0
PASSWORD = "correct horse battery"
COMMUNITY = "s3cr3t-community-7781"
NOTIFY_TOKEN = "hook-token-55aa66bb"

TODAY = "2026-05-29"  # T0 in Asia/Shanghai

CONFIG = f"""
[report]
timezone = "Asia/Shanghai"
[notify]
urls = ["json://127.0.0.1:9/hook?token={NOTIFY_TOKEN}"]
[web]
enabled = true
[[devices]]
name = "th-1"
kind = "sensor"
room = "一号机房"
address = "192.0.2.10"
snmp = {{ community = "{COMMUNITY}" }}
[[devices]]
name = "ups-1"
kind = "ups"
room = "一号机房"
address = "192.0.2.11"
snmp = {{ community = "{COMMUNITY}" }}
"""


@dataclass
class Clock:
    """The console's clock, moved by the test."""

    now: float = T0

    def __call__(self) -> float:
        return self.now


@dataclass
class Console:
    """Everything a web test touches."""

    client: TestClient
    src: Sources
    parts: wiring.Parts
    clock: Clock
    settings: config_mod.Settings

    def login(self, name: str, password: str = PASSWORD) -> TestClient:
        """Log the client in through the form (fetching its CSRF token first)."""
        token = csrf(self.client.get("/login").text)
        answer = self.client.post("/login", data={"name": name, "password": password, "csrf": token},
                                  follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return self.client

    def fire(self, temperature: float = 35.0, device: str = "th-1") -> str:
        """A room-temperature breach judged by the real engine and recorded by the real dispatcher."""
        labels = {"device": device, "kind": "sensor", "level": "2", "room": "一号机房", "sensor": "inlet"}
        readings = [Reading("temperature_celsius", temperature, labels, self.clock.now),
                    Reading("up", 1.0, {k: labels[k] for k in ("device", "kind", "level", "room")},
                            self.clock.now)]
        self.parts.engine.ingest(readings)
        self.src.latest.update(readings)
        self.parts.store.write(readings)
        changes = self.parts.engine.evaluate(self.clock.now, ignore_for=True)
        self.parts.store.write_alerts(changes)
        self.parts.store.flush()
        self.parts.dispatcher.submit(changes, self.clock.now)
        [alert] = [a for a in changes if a.labels.get("device") == device]
        return alert.fingerprint


def csrf(html: str) -> str:
    """The CSRF token in a page's form."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def parts_for(tmp_path: Path, extra: str = "") -> tuple[config_mod.Settings, wiring.Parts, Clock, Sources]:
    """Real parts from CONFIG (plus ``extra``), the console's sources over them, three accounts."""
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'state_dir = "{tmp_path / "state"}"\n' + CONFIG + extra, encoding="utf-8")
    settings, _ = config_mod.load(path)
    parts = wiring.build(settings, path.name)
    clock = Clock()
    src = sources_of(lambda: settings, parts, Latest(), clock=clock)
    for name, role in (("viewer1", Role.VIEWER), ("oper1", Role.OPERATOR), ("admin1", Role.ADMIN)):
        src.accounts.add(name, role, PASSWORD, now=T0, by="test")
    return settings, parts, clock, src


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    settings, parts, clock, src = parts_for(tmp_path)
    app = app_mod.build(src, https=False)
    with TestClient(app) as client:
        yield Console(client=client, src=src, parts=parts, clock=clock, settings=settings)
    src.accounts.close()
    parts.store.close()
    parts.outbox.close()
