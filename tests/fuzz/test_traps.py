"""The trap receiver on any datagram, through the real pysnmp engine it decodes with: every one is
counted and none escapes (a v1/v2c trap from the inventory, bent and cut, and plain bytes); and
the catalog that turns a notification's varbinds into readings, on any varbinds: it never raises."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyasn1.codec.ber import encoder
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.proto import api

from collectors.traps import TrapOptions
from collectors.traps.catalog import IF_INDEX, IF_NAME, UPS_ALARM_DESCR, load
from collectors.traps.receiver import TrapListener
from monitor.core.model import Reading

COMMUNITY = "fuzz-c0mmunity"
CATALOG = load()
SOURCE = ("127.0.0.2", 40000)


def _trap(version: int, trap_oid: str, varbinds: list[tuple[str, object]]) -> bytes:
    p = api.PROTOCOL_MODULES[version]
    if version == api.SNMP_VERSION_1:
        pdu = p.TrapPDU()
        p.apiTrapPDU.set_defaults(pdu)
        p.apiTrapPDU.set_enterprise(pdu, trap_oid)
        p.apiTrapPDU.set_generic_trap(pdu, 6)
        p.apiTrapPDU.set_specific_trap(pdu, 5)
    else:
        pdu = p.SNMPv2TrapPDU()
        p.apiTrapPDU.set_defaults(pdu)
        varbinds = [("1.3.6.1.6.3.1.1.4.1.0", p.ObjectIdentifier(trap_oid)), *varbinds]
    base = list(p.apiTrapPDU.get_varbinds(pdu))[: 1 if version != api.SNMP_VERSION_1 else 0]
    p.apiTrapPDU.set_varbinds(pdu, base + [(p.ObjectIdentifier(o), v) for o, v in varbinds])
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, COMMUNITY)
    p.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


def _valid() -> list[bytes]:
    v2 = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    link_down = "1.3.6.1.6.3.1.1.5.3"
    return [
        _trap(api.SNMP_VERSION_2C, link_down, [(IF_INDEX + ".7", v2.Integer(7)),
                                               (IF_NAME + ".7", v2.OctetString("GE1/0/7"))]),
        _trap(api.SNMP_VERSION_2C, "1.3.6.1.2.1.33.2.0.3",
              [(UPS_ALARM_DESCR + ".1", v2.ObjectIdentifier("1.3.6.1.2.1.33.1.6.3.2"))]),
        _trap(api.SNMP_VERSION_1, "1.3.6.1.4.1.318", []),
    ]


VALID = _valid()


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[TrapListener, object]]:
    """A listener with its pysnmp engine, bound to a free loopback port (nothing is sent to it:
    datagrams are handed to its receive callback directly, as the transport would)."""
    options = TrapOptions.model_validate({"address": "127.0.0.1", "port": 0, "communities": [COMMUNITY]})
    listener = TrapListener(options, {"127.0.0.2": {"device": "core-sw-1", "kind": "switch"}},
                            device="nms")
    loop = asyncio.new_event_loop()  # pysnmp's transport takes the current loop when it opens
    asyncio.set_event_loop(loop)
    snmp = listener._open()
    loop.run_until_complete(asyncio.sleep(0.05))  # let it finish opening its socket
    try:
        yield listener, snmp
    finally:
        snmp.close_dispatcher()
        loop.run_until_complete(asyncio.sleep(0.05))
        asyncio.set_event_loop(None)
        loop.close()


def _receive_counts(receiver: tuple[TrapListener, object], datagram: bytes) -> None:
    listener, snmp = receiver
    before = listener.received
    listener._receive(snmp, udp.DOMAIN_NAME, SOURCE, datagram)  # raises only if the guard failed
    assert listener.received == before + 1


def test_the_unbent_traps_are_read(receiver) -> None:  # type: ignore[no-untyped-def]
    """The fuzz starts from traps the receiver accepts, so bent ones reach deep into pysnmp."""
    listener, _ = receiver
    emitted: list[Reading] = []
    listener._emit = emitted.extend
    for datagram in VALID:
        _receive_counts(receiver, datagram)
    assert {(r.metric, r.labels.get("ifname")) for r in emitted} >= {("if_oper_up", "GE1/0/7")}


@given(st.binary(max_size=400))
def test_any_datagram_is_counted_and_never_escapes(receiver, data: bytes) -> None:  # type: ignore[no-untyped-def]
    _receive_counts(receiver, data)


@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)),
                                        max_size=6), st.integers(1, 10_000))
def test_real_traps_bent_and_cut(receiver, data: bytes, flips: list[tuple[int, int]],  # type: ignore[no-untyped-def]
                                 cut: int) -> None:
    bent = bytearray(data)
    for at, value in flips:
        bent[at % len(bent)] = value
    _receive_counts(receiver, bytes(bent[:cut]))


_OIDS = st.one_of(st.sampled_from([IF_INDEX + ".7", IF_NAME + ".7", UPS_ALARM_DESCR + ".1",
                                   "1.3.6.1.2.1.2.2.1.8.3", "1.3.6.1.2.1.2.2.1", ""]),
                  st.text(max_size=30))
_VALUES = st.one_of(st.integers(), st.text(max_size=40))


@given(st.sampled_from([*sorted(CATALOG.traps), "", "1.3.6"]),
       st.dictionaries(_OIDS, _VALUES, max_size=8))
def test_catalog_reads_any_varbinds(trap_oid: str, varbinds: dict[str, str | int]) -> None:
    readings = CATALOG.readings(trap_oid, varbinds, {"device": "core-sw-1"}, 1000.0)
    for r in readings or []:
        assert r.labels["device"] == "core-sw-1" and isinstance(r.value, float)
