"""The syslog evidence store: per-day hash chains, sealed digests, retention, search — and every
way of tampering with a stored day (change, delete, insert, recompute) is caught by verify."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from collectors.syslog.parse import Message, parse
from monitor.store.evidence import Evidence, connect, digests_path, genesis, link
from monitor.store.evidence_check import search, summary, verify

UTC = dt.UTC
DAY1 = dt.datetime(2026, 12, 1, 10, tzinfo=UTC).timestamp()
DAY2 = DAY1 + 86400
LINES = [b"<38>Dec  1 10:00:00 web1 sshd[1]: Failed password for root from 192.0.2.66 port 22 ssh2",
         b"<30>Dec  1 10:00:01 web1 systemd[1]: Started nginx.service.",
         b"<27>Dec  1 10:00:02 web1 kernel: EXT4-fs error (device sda1)",
         "<134>Dec  1 10:00:03 old-sw 用户登录失败".encode("gbk")]


def _messages(start: float, n: int = 4) -> list[Message]:
    return [parse(LINES[i % len(LINES)], received=start + i, source="192.0.2.7", device="web1")
            for i in range(n)]


@pytest.fixture
def store(tmp_path: Path) -> Evidence:
    ev = Evidence(tmp_path / "syslog.db", retention_s=180 * 86400.0, zone=UTC)
    ev.append(_messages(DAY1))
    ev.append(_messages(DAY2, 3))
    ev.seal(DAY2 + 3600)  # day 1 is over, day 2 still open
    yield ev
    ev.close()


def _verify(ev: Evidence, since: str = "") -> dict[str, str]:
    with sqlite3.connect(ev.path) as db:
        return {d.day: d.problem for d in verify(db, ev.path, since=since)}


def _sql(ev: Evidence, sql: str, *args: object) -> None:
    db = sqlite3.connect(ev.path)
    with db:
        db.execute(sql, args)
    db.close()


def test_untouched_days_verify_and_the_digest_is_the_chain_head(store: Evidence) -> None:
    assert _verify(store) == {"2026-12-01": "", "2026-12-02": ""}
    [line] = digests_path(store.path).read_text().splitlines()
    day, count, digest = line.split()
    assert (day, count) == ("2026-12-01", "4")
    prev = genesis(day)
    with sqlite3.connect(store.path) as db:
        rows = db.execute("SELECT day, seq, received, source, device, facility, severity, stamp, host, app, "
                          "text, raw, truncated, event FROM messages WHERE day = ? ORDER BY seq", (day,))
        for row in rows:
            prev = link(prev, *row)
    assert digest == prev.hex()


def test_an_altered_row_is_caught(store: Evidence) -> None:
    _sql(store, "UPDATE messages SET text = 'Started nothing.' WHERE day = '2026-12-01' AND seq = 2")
    assert _verify(store) == {"2026-12-01": "message 2 was altered (its hash does not follow the chain)",
                              "2026-12-02": ""}


def test_a_deleted_row_and_a_deleted_last_row_are_caught(store: Evidence) -> None:
    _sql(store, "DELETE FROM messages WHERE day = '2026-12-01' AND seq = 3")
    _sql(store, "DELETE FROM messages WHERE day = '2026-12-02' AND seq = 3")
    got = _verify(store)
    assert got["2026-12-01"] == "message 3 is missing (next stored is 4)"
    assert got["2026-12-02"].startswith("1 message(s) deleted at the end of the day")


def test_a_recomputed_chain_disagrees_with_the_digest_file(store: Evidence) -> None:
    # Someone who can write the database deletes a row and rebuilds the chain and the day record.
    _sql(store, "DELETE FROM messages WHERE day = '2026-12-01' AND seq = 4")
    db = sqlite3.connect(store.path)
    prev = genesis("2026-12-01")
    with db:
        for row in db.execute("SELECT day, seq, received, source, device, facility, severity, stamp, host, "
                              "app, text, raw, truncated, event FROM messages WHERE day = '2026-12-01' "
                              "ORDER BY seq").fetchall():
            prev = link(prev, *row)
            db.execute("UPDATE messages SET hash = ? WHERE day = ? AND seq = ?", (prev, row[0], row[1]))
        db.execute("UPDATE days SET count = 3, head = ?, digest = ? WHERE day = '2026-12-01'",
                   (prev, prev.hex()))
    db.close()
    assert _verify(store)["2026-12-01"].startswith("the digest file says 4 message(s)")


def test_a_whole_deleted_day_is_caught(store: Evidence) -> None:
    _sql(store, "DELETE FROM messages WHERE day = '2026-12-01'")
    _sql(store, "DELETE FROM days WHERE day = '2026-12-01'")
    _sql(store, "INSERT INTO days (day, count, head) VALUES ('2026-11-30', 0, x'00')")  # keeps oldest older
    assert _verify(store)["2026-12-01"] == "the day's chain record is missing"
    assert _verify(store, since="2026-12-02") == {"2026-12-02": ""}


def test_appending_after_reopening_continues_the_chain(store: Evidence) -> None:
    store.close()
    again = Evidence(store.path, zone=UTC)
    again.append(_messages(DAY2 + 100, 2))
    again.close()
    assert _verify(store) == {"2026-12-01": "", "2026-12-02": ""}
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT count FROM days WHERE day = '2026-12-02'").fetchone() == (5,)


def test_retention_deletes_whole_days_and_verify_stays_quiet(store: Evidence) -> None:
    store.retention_s = 86400.0
    assert store.prune(DAY2 + 3600) == 0  # day 1 ended less than a retention ago
    assert store.prune(DAY2 + 86400) == 4
    assert _verify(store) == {"2026-12-02": ""}


def test_search_and_summary(store: Evidence) -> None:
    db = connect(store.path, readonly=True)
    assert [f.text for f in search(db, text="failed password")] == [
        "sshd[1]: Failed password for root from 192.0.2.66 port 22 ssh2"] * 2
    assert [f.severity for f in search(db, severity="err")] == ["err", "err"]
    assert [f.text for f in search(db, text="用户")] == ["用户登录失败"]
    assert len(list(search(db, since=DAY2, device="web1"))) == 3
    assert list(search(db, device="nobody")) == []
    assert list(search(db, text="100%")) == []
    day = summary(db, "2026-12-01")
    assert day.total == 4 and day.by_severity == {"err": 1, "info": 3}
    assert day.digest and [f.severity for f in day.attention] == ["err"]
    [(head,)] = db.execute("SELECT head FROM days WHERE day = '2026-12-02'")  # open: shows its head
    assert summary(db, "2026-12-02").digest == bytes(head).hex()
    db.close()
