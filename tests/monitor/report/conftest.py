"""The seeded test week (2026-W47, Asia/Shanghai) written through the store, deterministic.

Devices: sensor th-a101 (room A101), ups-1, server srv-1, switch sw-core, firewall fw-1, link
internet, backup job db-nightly. Events: one temperature excursion to 29.4 °C for 40 min (Mon),
one UPS on-battery of 6 min (Tue), an IP–MAC violation (Tue), the switch down for 3 h (Wed,
repaired past 2 h), one configuration change (Thu). Everything else normal.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest

from monitor.core.model import Alert, AlertState, Reading, Severity
from monitor.store.sqlite import SQLiteStore

TZ = ZoneInfo("Asia/Shanghai")
MIN = 60.0
WEEK_START = datetime(2026, 11, 16, tzinfo=TZ).timestamp()
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ).timestamp()  # the Monday 09:00 timer


def at(day: int, hour: int, minute: int = 0) -> float:
    """Epoch seconds of 2026-11-(16+day) hour:minute local."""
    return datetime(2026, 11, 16 + day, hour, minute, tzinfo=TZ).timestamp()


TEMP_START, TEMP_END = at(0, 14, 10), at(0, 14, 50)
UPS_START, UPS_END = at(1, 3, 20), at(1, 3, 26)
ARP_AT = at(1, 9, 12)
SW_DOWN, SW_UP = at(2, 10, 0), at(2, 13, 0)
CFG_AT = at(3, 16, 20)

SENSOR = {"device": "th-a101", "kind": "sensor", "level": "2", "room": "A101"}
UPS = {"device": "ups-1", "kind": "ups", "level": "1", "room": "A101"}
SERVER = {"device": "srv-1", "kind": "server", "level": "1", "room": "A101"}
SWITCH = {"device": "sw-core", "kind": "switch", "level": "1", "room": "A101"}
FIREWALL = {"device": "fw-1", "kind": "firewall", "level": "1", "room": "A101"}


def readings() -> Iterator[Reading]:
    """One week of 1-minute readings (sparser for slow things), deterministic."""
    for i in range(7 * 24 * 60):
        ts = WEEK_START + i * MIN
        wave = ((i % 1440) - 720) / 720  # -1 … 1 over the day
        temp = 29.4 if TEMP_START <= ts < TEMP_END else round(23.0 + 2.0 * wave, 1)
        yield Reading("temperature_celsius", temp, {**SENSOR, "sensor": "t1"}, ts)
        yield Reading("humidity_percent", round(50.0 - 5.0 * wave, 1), {**SENSOR, "sensor": "h1"}, ts)
        on_battery = UPS_START <= ts < UPS_END
        yield Reading("ups_on_battery", 1.0 if on_battery else 0.0, UPS, ts)
        yield Reading("ups_battery_capacity_percent", 92.0 if on_battery else 100.0, UPS, ts)
        yield Reading("ups_battery_runtime_minutes", 95.0 if on_battery else 120.0, UPS, ts)
        yield Reading("up", 1.0, SERVER, ts)
        yield Reading("up", 0.0 if SW_DOWN <= ts < SW_UP else 1.0, SWITCH, ts)
        yield Reading("up", 1.0, FIREWALL, ts)
        if i % 10 == 0:
            yield Reading("raid_degraded", 0.0, {**SERVER, "array": "md0"}, ts)
            util = 20.0 + 43.0 * max(wave, 0)
            yield Reading("if_utilization_percent", util, {**SWITCH, "ifname": "Gi0/1"}, ts)
            yield Reading("link_loss_percent", 0.0, {"device": "probe", "link": "internet"}, ts)
            yield Reading("link_rtt_ms", 21.0, {"device": "probe", "link": "internet"}, ts)
            yield Reading("arp_unknown_mac", 0.0, {"device": "sw-core"}, ts)
            yield Reading("config_changed", 1.0 if CFG_AT <= ts < CFG_AT + 10 * MIN else 0.0, FIREWALL, ts)
        if i % 60 == 0:
            age = ((ts - WEEK_START) / 3600 - 2) % 24  # nightly backup at 02:00
            yield Reading("backup_age_hours", round(age, 1), {"device": "backup", "job": "db-nightly"}, ts)
    yield Reading("arp_ip_mismatch", 1.0, {"device": "sw-core", "ip": "192.0.2.45",
                                           "mac": "00:00:5e:00:53:45"}, ARP_AT)


def _alert(rule: str, labels: dict, sev: Severity, clause: str, start: float, fired: float,
           end: float, value: float) -> list[Alert]:
    base = {"rule": rule, "labels": labels, "severity": sev, "clause": clause, "value": value,
            "active_at": start, "summary": f"{rule} {labels['device']}"}
    return [Alert(state=AlertState.PENDING, **base),
            Alert(state=AlertState.FIRING, fired_at=fired, **base),
            Alert(state=AlertState.RESOLVED, fired_at=fired, resolved_at=end, **base)]


def alerts() -> list[Alert]:
    """The alert history the rule engine would have written for the seeded events, with the
    rule names and clauses of the shipped regulation pack."""
    from rules.loader import load_pack

    clause = {rule.name: rule.clause for rule in load_pack("regulation")}
    return [
        *_alert("room_temperature", {**SENSOR, "sensor": "t1"}, Severity.WARNING, clause["room_temperature"],
                TEMP_START, TEMP_START + 5 * MIN, TEMP_END, 29.4),
        *_alert("ups_on_battery", UPS, Severity.CRITICAL, clause["ups_on_battery"], UPS_START, UPS_START,
                UPS_END, 1.0),
        *_alert("arp_ip_mismatch", {"device": "sw-core", "ip": "192.0.2.45", "mac": "00:00:5e:00:53:45"},
                Severity.WARNING, clause["arp_ip_mismatch"], ARP_AT, ARP_AT, ARP_AT + 10 * MIN, 1.0),
        *_alert("device_down", SWITCH, Severity.CRITICAL, clause["device_down"], SW_DOWN, SW_DOWN + 2 * MIN,
                SW_UP, 0.0),
        *_alert("config_changed", FIREWALL, Severity.WARNING, clause["config_changed"], CFG_AT, CFG_AT,
                CFG_AT + 10 * MIN, 1.0),
    ]


def write_acks(state_dir: Path, acks: dict[str, float]) -> None:
    """What ``roomwatch ack`` writes (the notification pipeline's acks table)."""
    with sqlite3.connect(state_dir / "alerts.db") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS acks (fingerprint TEXT PRIMARY KEY, fired_at REAL, "
                     "acked_by TEXT NOT NULL, comment TEXT NOT NULL, ts REAL NOT NULL)")
        conn.executemany("INSERT INTO acks VALUES (?, NULL, 'duty', '', ?)", list(acks.items()))


def open_store(path: Path) -> SQLiteStore:
    """The real store, keeping the seeded week however old it is."""
    return SQLiteStore(path, retention_s=3650 * 86400.0, rollup_retention_s=3650 * 86400.0)


@pytest.fixture(scope="session")
def seed() -> ModuleType:
    """This module: the seeded week's constants and helpers (test modules cannot import it)."""
    return sys.modules[__name__]


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file holding the seeded week (written once per session)."""
    path = tmp_path_factory.mktemp("seeded") / "roomwatch.db"
    store = open_store(path)
    batch: list[Reading] = []
    for reading in readings():
        batch.append(reading)
        if len(batch) >= 20000:
            store.write(batch)
            batch = []
    store.write(batch)
    store.write_alerts(alerts())
    store.close()
    return path


@pytest.fixture
def config(tmp_path: Path, seeded_db: Path) -> Path:
    """A config over a copy of the seeded store (reviewer 张主任, Markdown reports)."""
    state = tmp_path / "state"
    state.mkdir()
    shutil.copy(seeded_db, state / "roomwatch.db")
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'state_dir = "{state}"\ndevices = []\n'
                    '[store.sqlite]\nretention = "3650d"\nrollup_retention = "3650d"\n'
                    '[report]\ntimezone = "Asia/Shanghai"\nreviewer = "张主任"\nformat = "md"\n',
                    encoding="utf-8")
    return path
