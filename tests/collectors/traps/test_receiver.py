"""Real traps on loopback, from net-snmp's snmptrap (v1, v2c) and pysnmp (v2c, v3 authPriv, inform),
to the receiver; refused, unknown and malformed datagrams are counted and never stop it."""

from __future__ import annotations

import logging
import socket
import threading

import pytest
from pysnmp.proto.rfc1902 import Integer, OctetString

from collectors.traps import TrapOptions
from collectors.traps.receiver import TrapListener
from monitor.core.model import Reading
from tests.collectors.traps.conftest import (
    APC,
    COMMUNITY,
    DEVICES,
    SECRETS,
    SWITCH,
    UPS,
    USER,
    Trapd,
    pysnmp_send,
    run_listener,
    snmptrap,
)

LINK_DOWN, LINK_UP, COLD_START = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4", "1.3.6.1.6.3.1.1.5.1"
UPS_ON_BATTERY = "1.3.6.1.2.1.33.2.1"
IF_INDEX, IF_NAME = "1.3.6.1.2.1.2.2.1.1.3", "1.3.6.1.2.1.31.1.1.1.1.3"


def _labels(r: Reading) -> dict[str, str]:
    return {k: v for k, v in r.labels.items() if k not in ("kind", "level", "room")}


def test_v2c_link_down_from_snmptrap_is_the_devices_interface_down(trapd: Trapd) -> None:
    snmptrap(trapd.port, "-v", "2c", "-c", COMMUNITY, "", LINK_DOWN,
             IF_INDEX, "i", "3", IF_NAME, "s", "GigabitEthernet0/0/3", source=SWITCH)
    trapd.wait_for(lambda: bool(trapd.traps()))
    [r] = trapd.traps()
    assert (r.metric, r.value) == ("if_oper_up", 0.0)
    assert r.labels == {**DEVICES[SWITCH], "ifname": "GigabitEthernet0/0/3"}  # kind, level, room too


def test_v1_apc_traps_from_snmptrap(trapd: Trapd) -> None:
    # APC PowerNet sends v1 traps: enterprise apc, generic 6 (enterpriseSpecific), specific N.
    for specific in ("5", "17", "9"):  # upsOnBattery, upsBatteryNeedsReplacement, powerRestored
        snmptrap(trapd.port, "-v", "1", "-c", COMMUNITY, "1.3.6.1.4.1.318", APC, "6", specific, "",
                 source=APC)
    trapd.wait_for(lambda: len(trapd.traps()) == 3)
    got = [(r.metric, r.value, r.labels["device"]) for r in trapd.traps()]
    assert got == [("ups_on_battery", 1.0, "apc-ups-2"), ("ups_battery_replace", 1.0, "apc-ups-2"),
                   ("ups_on_battery", 0.0, "apc-ups-2")]


def test_v2c_ups_mib_on_battery_from_pysnmp(trapd: Trapd) -> None:
    assert pysnmp_send(trapd.port, UPS_ON_BATTERY, [], source=UPS, community=COMMUNITY) is None
    trapd.wait_for(lambda: bool(trapd.traps()))
    [r] = trapd.traps()
    assert (r.metric, r.value, _labels(r)) == ("ups_on_battery", 1.0, {"device": "ups-1"})


def test_v3_auth_priv_from_pysnmp_and_a_v2c_inform(trapd: Trapd) -> None:
    ifdescr = "1.3.6.1.2.1.2.2.1.2.3"
    err = pysnmp_send(trapd.port, LINK_UP, [(IF_INDEX, Integer(3)), (ifdescr, OctetString("Gi0/3"))],
                      source=SWITCH, user=USER)
    assert err is None
    trapd.wait_for(lambda: bool(trapd.traps()))
    assert [(r.metric, r.value, _labels(r)) for r in trapd.traps()] == [
        ("if_oper_up", 1.0, {"device": "core-sw-1", "ifname": "Gi0/3"})]
    # An inform is answered (the sender waits for it) and judged like a trap.
    err = pysnmp_send(trapd.port, COLD_START, [], source=UPS, community=COMMUNITY, kind="inform")
    assert err is None
    trapd.wait_for(lambda: len(trapd.traps()) == 2)
    assert _labels(trapd.traps()[1]) == {"device": "ups-1"}
    assert trapd.traps()[1].metric == "device_restarted"


def test_refused_unknown_and_garbage_are_counted_and_the_receiver_survives(
        trapd: Trapd, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    listener = trapd.listener
    snmptrap(trapd.port, "-v", "2c", "-c", "not-the-community", "", LINK_DOWN, source=SWITCH)
    snmptrap(trapd.port, "-v", "1", "-c", "wrong-too", "1.3.6.1.4.1.318", APC, "6", "5", "", source=APC)
    wrong_key = {**USER, "auth_key": "not-the-auth-key"}
    pysnmp_send(trapd.port, LINK_DOWN, [], source=SWITCH, user=wrong_key)
    pysnmp_send(trapd.port, LINK_DOWN, [], source=SWITCH, user={**USER, "user": "mallory"})
    snmptrap(trapd.port, "-v", "2c", "-c", COMMUNITY, "", "1.3.6.1.4.1.99999.0.1",
             "1.3.6.1.4.1.99999.1", "s", "vendor says hi", source=SWITCH)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((SWITCH, 0))
        for garbage in (b"", b"\x00\xff garbage", b"\x30\x82\xff\xff\x02\x01\x01",  # truncated BER
                        b"\x30\x0b\x02\x01\x03\x30\x06\x02\x01\x01\x04\x01\x00",  # v3 with no body
                        bytes(range(256)) * 4):
            sock.sendto(garbage, ("127.0.0.1", trapd.port))
    # The same sender's good trap comes after all of that: when it is in, the rest was handled.
    snmptrap(trapd.port, "-v", "2c", "-c", COMMUNITY, "", LINK_DOWN, IF_INDEX, "i", "7", source=SWITCH)
    trapd.wait_for(lambda: bool(trapd.traps()))
    trapd.wait_for(lambda: listener.rejected["malformed"] >= 4)
    assert [(r.metric, r.value, r.labels["ifname"]) for r in trapd.traps()] == [("if_oper_up", 0.0, "if7")]
    assert listener.rejected["bad_community"] == 2
    assert listener.rejected["bad_auth"] == 1
    assert listener.rejected["unknown_user"] == 1
    assert listener.unknown == 1
    assert listener.received >= 11
    counters = {(r.metric, r.labels.get("reason", "")): r.value for r in listener.counters(0.0)}
    assert counters[("traps_rejected_total", "bad_community")] == 2
    assert counters[("traps_unknown_total", "")] == 1
    assert all(r.labels["device"] == "nms" for r in listener.counters(0.0))
    text = caplog.text
    assert "1.3.6.1.4.1.99999.0.1" in text and "bad community" in text
    assert sum("malformed" in line for line in text.splitlines()) == 1  # rate-limited: one a minute
    for secret in (*SECRETS, "not-the-community", "wrong-too", "not-the-auth-key"):
        assert secret not in text


def test_a_sender_not_in_the_inventory_keeps_its_address(trapd: Trapd) -> None:
    snmptrap(trapd.port, "-v", "2c", "-c", COMMUNITY, "", UPS_ON_BATTERY, source="127.0.0.9")
    trapd.wait_for(lambda: bool(trapd.traps()))
    assert trapd.traps()[0].labels == {"device": "127.0.0.9"}


def test_a_port_in_use_is_reported_and_stop_still_works(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        options = TrapOptions(enabled=True, address="127.0.0.1", port=port, communities=[COMMUNITY])
        seen: list[Reading] = []
        down = threading.Event()

        def emit(readings: list[Reading]) -> None:
            seen.extend(readings)
            if any(r.metric == "traps_listen_up" and r.value == 0 for r in readings):
                down.set()

        halt = run_listener(TrapListener(options, {}, device="nms"), emit)
        try:
            assert down.wait(5)
        finally:
            halt()  # asserts it stops well before the 60 s retry
    assert f"cannot listen on 127.0.0.1 port {port}" in caplog.text


def test_ipv6_and_counters_every_stats_interval() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 in this Python")
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no ::1 on the loopback interface")
    options = TrapOptions(enabled=True, address="::1", port=0, communities=[COMMUNITY], stats_interval=0.05)
    trapd = Trapd(TrapListener(options, {"::1": {"device": "v6-sw"}}, device="nms"))
    halt = run_listener(trapd.listener, trapd.emit)
    try:
        trapd.wait_for(lambda: trapd.listener.bound is not None)
        assert trapd.listener.bound is not None
        snmptrap(trapd.listener.bound[1], "-v", "2c", "-c", COMMUNITY, "", COLD_START, source="::1")
        trapd.wait_for(lambda: bool(trapd.traps()))
        assert trapd.traps()[0].labels == {"device": "v6-sw"}
        # The counters are told again each stats_interval (here 50 ms), with the trap counted.
        trapd.wait_for(lambda: any(r.metric == "traps_received_total" and r.value == 1
                                   for r in trapd.readings))
    finally:
        halt()


def test_addresses_have_one_spelling() -> None:
    from collectors.traps.receiver import _norm

    assert _norm("::ffff:192.0.2.7") == "192.0.2.7"
    assert _norm("0:0:0:0:0:0:0:1") == "::1"
    assert _norm("UPS-1.Example") == "ups-1.example"
