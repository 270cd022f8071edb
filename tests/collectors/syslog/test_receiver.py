"""Real senders on loopback — util-linux logger and rsyslogd forwarding over UDP, TCP (octet
counted) and TLS (its gtls driver) — to the receiver and its evidence store: GBK text, 64 KiB
messages, garbage bytes and a flood are all counted and none stops the receiver."""

from __future__ import annotations

import dataclasses
import socket
import sqlite3
import threading
import time
from pathlib import Path

from collectors.ssh.change import backup, readings
from collectors.ssh.history import ConfigHistory
from monitor.core.savedby import SavedBy
from tests.collectors.syslog.conftest import FLOODER, HEALTHY, Rsyslog, Syslogd, logger, start

HUAWEI_SAVE = ('%%01SHELL/5/CMDRECORD(s)[27]:Recorded command information. (Task=VT0, Ip=192.0.2.7, '
               'VpnName=, User=admin, AuthenticationMethod="Password", Command="save")')


def test_logger_over_udp_and_tcp_is_stored_as_the_inventory_device(syslogd: Syslogd) -> None:
    logger(syslogd.port("udp"), "-d", "--rfc3164", "-t", "sshd", "-p", "auth.warning",
           "Failed password for root from 192.0.2.66 port 22 ssh2")
    logger(syslogd.port("tcp"), "-T", "--octet-count", "--rfc5424", "-t", "app", "tcp octet counted")
    logger(syslogd.port("tcp"), "-T", "--rfc5424", "-t", "app", "tcp newline framed")
    syslogd.wait_for(lambda: len(syslogd.stored("")) == 3)
    assert syslogd.stored("Failed password") == [
        ("core-sw", "sshd: Failed password for root from 192.0.2.66 port 22 ssh2", 4, "login_failed", 0)]
    assert [row[1] for row in syslogd.stored("tcp ")] == ["tcp octet counted", "tcp newline framed"]
    [failed] = syslogd.events("login_failed_total")
    assert failed.labels == {"device": "core-sw", "kind": "switch", "level": "1", "room": "A",
                             "user": "root", "source": "192.0.2.66"}
    [recent] = syslogd.events("login_failures_recent")
    assert recent.value == 1.0 and recent.labels["source"] == "192.0.2.66"


def test_rsyslog_forwards_over_udp_tcp_and_tls(syslogd: Syslogd, rsyslog: Rsyslog) -> None:
    for transport, port in rsyslog.inputs.items():
        # rsyslogd may still be starting: send again (bounded) until the first copy is stored
        for attempt in range(50):
            logger(port, "-d", "--rfc3164", "-t", "probe", f"via {transport} #{attempt}")
            time.sleep(0.2)
            if syslogd.stored(f"via {transport} #"):
                break
        assert syslogd.stored(f"via {transport} #"), f"nothing arrived from rsyslog over {transport}"
        assert {row[0] for row in syslogd.stored(f"via {transport} #")} == {"core-sw"}
    assert syslogd.listener.rejected == 0 and syslogd.listener.unparsed == 0


def test_gbk_from_logger_is_read_not_dropped(syslogd: Syslogd) -> None:
    text = "用户 admin 从 192.0.2.66 登录失败"
    logger(syslogd.port("udp"), "-d", "--rfc3164", "-t", "oldsw", text.encode("gbk"))
    logger(syslogd.port("tcp"), "-T", "--rfc3164", "-t", "oldsw", text.encode("gb18030"))
    syslogd.wait_for(lambda: len(syslogd.stored("登录失败")) == 2)
    assert [row[1] for row in syslogd.stored("登录失败")] == [f"oldsw: {text}"] * 2


def test_64_kib_messages_are_cut_and_counted(syslogd: Syslogd) -> None:
    big = b"A" * 65536
    logger(syslogd.port("tcp"), "-T", "--octet-count", "--size", "70000", "--rfc3164", "-t", "big",
           stdin=big + b"\n")
    logger(syslogd.port("tcp"), "-T", "--size", "70000", "--rfc3164", "-t", "big", stdin=big + b"\n")
    logger(syslogd.port("udp"), "-d", "--size", "70000", "--rfc3164", "-t", "big", stdin=big[:60000] + b"\n")
    logger(syslogd.port("tcp"), "-T", "--rfc3164", "-t", "after", "still receiving")
    syslogd.wait_for(lambda: len(syslogd.stored("still receiving")) == 1 and len(syslogd.stored("AAAA")) == 3)
    rows = syslogd.stored("AAAA")
    assert [row[4] for row in rows] == [1, 1, 1] and syslogd.listener.truncated == 3
    limit = syslogd.listener.options.max_message
    with_header = [len(row[1].encode()) for row in rows]
    assert all(limit - 64 < n <= limit for n in with_header)


def test_garbage_is_stored_as_it_came_and_the_next_message_too(syslogd: Syslogd) -> None:
    junk = bytes(range(256)) * 4
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(junk, ("127.0.0.1", syslogd.port("udp")))
        s.sendto(b"<13>\xff\xfe\x00", ("127.0.0.1", syslogd.port("udp")))
    with socket.create_connection(("127.0.0.1", syslogd.port("tls"))) as c:
        c.sendall(b"\x16\x03\x01 this is not a TLS handshake" * 10)  # the TLS layer refuses it
    with socket.create_connection(("127.0.0.1", syslogd.port("tcp"))) as c:
        # an absurd octet count: the first max_message bytes are kept, the rest of it is skipped
        c.sendall(b"99999999999 garbage\n" + junk + b"\n")
    logger(syslogd.port("tcp"), "-T", "--rfc3164", "-t", "after", "fine after garbage")
    syslogd.wait_for(lambda: bool(syslogd.stored("fine after garbage")))
    syslogd.wait_for(lambda: len(syslogd.stored("")) == 4)  # stored, not only received
    with sqlite3.connect(syslogd.db) as db:
        raws = [bytes(r[0]) for r in db.execute("SELECT raw FROM messages ORDER BY id")]
    assert junk in raws and b"<13>\xff\xfe\x00".rstrip(b"\x00") in raws
    assert (syslogd.listener.unparsed, syslogd.listener.truncated) == (2, 1)


def test_a_flood_is_bounded_and_counted_and_healthy_senders_are_still_stored(
        tmp_path: Path, cert: tuple[Path, Path]) -> None:
    state, halt = start(tmp_path, cert, rate=100.0, burst=500, queue=20000)
    try:
        port = state.port("tcp")
        flood = 20000
        healthy: list[str] = []

        def send_flood() -> None:
            with socket.create_connection(("127.0.0.1", port), source_address=(FLOODER, 0)) as c:
                c.sendall(b"".join(b"<13>Dec  3 16:00:00 flooder x: flood %d\n" % i for i in range(flood)))

        sender = threading.Thread(target=send_flood)
        sender.start()
        with socket.create_connection(("127.0.0.1", port), source_address=(HEALTHY, 0)) as c:
            for i in range(50):
                healthy.append(f"healthy {i}")
                c.sendall(b"<14>Dec  3 16:00:00 web1 app: healthy %d\n" % i)
        sender.join(timeout=60)
        lst = state.listener
        state.wait_for(lambda: lst.received == flood + 50 and not lst.queue)
        state.wait_for(lambda: lst.stored == lst.received - lst.dropped["rate"])
        assert [row[1] for row in state.stored("healthy ")] == [f"app: {h}" for h in healthy]
        assert {row[0] for row in state.stored("healthy ")} == {"web1"}
        flooded = len(state.stored("flood "))
        assert lst.dropped["rate"] == flood - flooded and flooded < flood // 4
        state.wait_for(lambda: any(r.metric == "syslog_dropped_total" and r.labels["reason"] == "rate"
                                   and r.value == lst.dropped["rate"] for r in state.readings))
    finally:
        halt()


class _Stuck:
    """An evidence store whose disk does not answer until released (so the queue fills)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.kept = 0

    def chain(self, entries: list[object]) -> list[object]:
        return entries

    def write(self, entries: list[object]) -> int:
        self.release.wait(30)
        self.kept += len(entries)
        return len(entries)

    def seal(self, now: float) -> None:
        return None

    def prune(self, now: float) -> int:
        return 0

    def close(self) -> None:
        self.release.set()


def test_the_queue_is_bounded_while_the_disk_is_stuck(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    stuck = _Stuck()
    state, halt = start(tmp_path, cert, archive=lambda: stuck, queue=1000)
    try:
        with socket.create_connection(("127.0.0.1", state.port("tcp"))) as c:
            c.sendall(b"".join(b"<13>m %d\n" % i for i in range(5000)))
        lst = state.listener
        state.wait_for(lambda: lst.received == 5000)
        # the writer holds at most one batch while the disk is stuck; the queue never passes its bound
        assert len(lst.queue) <= 1000 and lst.dropped["queue"] >= 5000 - 1000 - 1000
        stuck.release.set()
        # the queue empties when the writer takes its batch; the disk has it once append returns
        state.wait_for(lambda: lst.stored + lst.dropped["queue"] == 5000)
        assert not lst.queue and stuck.kept == lst.stored
    finally:
        halt()


def test_a_huawei_save_names_who_made_the_next_config_changed(syslogd: Syslogd, tmp_path: Path) -> None:
    logger(syslogd.port("udp"), "-d", "--rfc3164", "-t", "HUAWEI", HUAWEI_SAVE)
    syslogd.wait_for(lambda: bool(syslogd.events("config_saved")))
    [saved] = syslogd.events("config_saved")
    assert (saved.labels["device"], saved.labels["user"], saved.labels["in_window"]) == (
        "core-sw", "admin", "0")
    # The SSH poller's next backup of the same device finds what changed.
    history = ConfigHistory(tmp_path / "configs.db")
    labels = {"device": "core-sw"}
    backup(history, "core-sw", "huawei", "sysname core-sw\nvlan 10\n", saved.ts - 3600, windows=[],
           labels=labels)
    outcome = backup(history, "core-sw", "huawei", "sysname core-sw\nvlan 10\nvlan 20\n", saved.ts + 300,
                     windows=[], labels=labels)
    [changed] = readings(outcome, saved.ts + 300, 2000)
    changed = dataclasses.replace(changed, labels={**changed.labels, **labels})  # as the scheduler labels it
    join = SavedBy()
    [_, joined] = join.annotate([saved, changed])
    assert joined.annotations["user"] == "admin"
    assert joined.annotations["diff"].startswith("保存者 / saved by: admin (syslog, ")
    assert "+vlan 20" in joined.annotations["diff"]
    [again] = join.annotate([changed])  # one save names one change
    assert "user" not in again.annotations
    history.close()


def test_a_save_arriving_after_its_change_names_it_within_the_window(syslogd: Syslogd,
                                                                     tmp_path: Path) -> None:
    logger(syslogd.port("udp"), "-d", "--rfc3164", "-t", "HUAWEI", HUAWEI_SAVE)
    syslogd.wait_for(lambda: bool(syslogd.events("config_saved")))
    [saved] = syslogd.events("config_saved")
    history = ConfigHistory(tmp_path / "configs.db")
    labels = {"device": "core-sw"}
    backup(history, "core-sw", "huawei", "sysname core-sw\n", saved.ts - 7200, windows=[], labels=labels)
    outcome = backup(history, "core-sw", "huawei", "sysname core-sw\nvlan 30\n", saved.ts - 120, windows=[],
                     labels=labels)
    [changed] = readings(outcome, saved.ts - 120, 2000)
    changed = dataclasses.replace(changed, labels={**changed.labels, **labels})
    join = SavedBy(after=600.0)
    [first] = join.annotate([changed])  # the poller's backup came first: nobody to name yet
    assert "user" not in first.annotations
    [save_passed, named] = join.annotate([saved])  # the device's save arrives: the change gains its user
    assert save_passed is saved
    assert (named.metric, named.ts, named.labels, named.value) == (
        changed.metric, changed.ts, changed.labels, 1.0)
    assert named.annotations["user"] == "admin"
    assert named.annotations["diff"].startswith("保存者 / saved by: admin (syslog, ")
    assert "+vlan 30" in named.annotations["diff"]
    # one save names one change: the next change is not named by it
    [later] = join.annotate([dataclasses.replace(changed, ts=saved.ts + 60)])
    assert "user" not in later.annotations
    # a save more than `after` past the waiting change names nothing past, but the next change
    late = dataclasses.replace(saved, ts=later.ts + 601)
    assert join.annotate([late]) == [late]
    [next_change] = join.annotate([dataclasses.replace(changed, ts=late.ts + 30)])
    assert next_change.annotations["user"] == "admin"
    history.close()
