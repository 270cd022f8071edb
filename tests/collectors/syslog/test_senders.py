"""A device configured by host name is still its messages' sender: names resolve at start and on
a bounded refresh (never per message), a failed lookup keeps the last addresses, an IP as
configured wins over a name resolving to it."""

from __future__ import annotations

import socket
from pathlib import Path

from collectors.syslog.senders import Senders, lookup
from tests.collectors.syslog.conftest import start

NAMED = {"device": "named-sw", "kind": "switch", "level": "1", "room": "B"}


def test_a_device_configured_as_localhost_is_the_sender_of_127_0_0_1(
        tmp_path: Path, cert: tuple[Path, Path]) -> None:
    state, halt = start(tmp_path, cert, devices={"LocalHost": NAMED}, charset={"named-sw": "gbk"})
    try:
        lst = state.listener
        state.wait_for(lambda: "127.0.0.1" in lst.devices)
        assert lst.charsets["127.0.0.1"] == "gbk"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto("<13>Dec  3 16:00:00 sw 登录 by name".encode("gbk"), ("127.0.0.1", state.port("udp")))
        state.wait_for(lambda: bool(state.stored("by name")))
        assert state.stored("by name") == [("named-sw", "登录 by name", 5, "", 0)]
        state.wait_for(lambda: any(r.metric == "syslog_messages" and r.labels == NAMED
                                   for r in state.readings))
    finally:
        halt()


def test_resolution_is_refreshed_keeps_the_last_addresses_on_failure_and_ips_win() -> None:
    answers: list[list[str] | OSError] = [["127.0.0.5"], OSError("temporary failure"), ["127.0.0.6"]]
    asked: list[str] = []

    def find(name: str) -> list[str]:
        asked.append(name)
        answer = answers.pop(0)
        if isinstance(answer, OSError):
            raise answer
        return answer

    other = {"device": "by-ip"}
    senders = Senders({"sw.example": NAMED, "127.0.0.9": other}, {"sw.example": "gb18030"})
    assert senders.devices.get("127.0.0.5") is None  # nothing resolved before the first lookup
    devices, charsets = senders.resolve(find)
    assert devices["127.0.0.5"] == NAMED and charsets["127.0.0.5"] == "gb18030"
    devices, _ = senders.resolve(find)  # the resolver fails: the last addresses stay
    assert devices["127.0.0.5"] == NAMED
    devices, _ = senders.resolve(find)  # the name moved
    assert devices["127.0.0.6"] == NAMED and "127.0.0.5" not in devices
    assert asked == ["sw.example"] * 3  # the IP entry is never looked up
    clash = Senders({"localhost": NAMED, "127.0.0.1": other}, {})
    devices, _ = clash.resolve(lookup)
    assert devices["127.0.0.1"] == other


def test_lookup_reads_the_hosts_file() -> None:
    assert "127.0.0.1" in lookup("localhost")
