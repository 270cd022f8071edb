"""The v1/v2c BER codec: values as net-snmp prints them, long forms, truncation; v1 noSuchName."""

from __future__ import annotations

import asyncio

import pytest

from collectors.snmp import ber
from collectors.snmp.client import Client, SnmpShared
from collectors.snmp.options import SnmpOptions
from tests.collectors.snmp.conftest import Agent


def tlv(tag: int, body: bytes) -> bytes:
    return ber.tlv(tag, body)


def response(varbinds: list[tuple[str, int, bytes]], request_id: int = 77, status: int = 0) -> bytes:
    binds = b"".join(tlv(0x30, tlv(0x06, ber.encode_oid(o)) + tlv(tag, body)) for o, tag, body in varbinds)
    pdu = ber.integer(request_id) + ber.integer(status) + ber.integer(0) + tlv(0x30, binds)
    return tlv(0x30, ber.integer(1) + tlv(0x04, b"public") + tlv(ber.RESPONSE, pdu))


@pytest.mark.parametrize("oid", ["1.3.6.1.2.1.1.3.0", "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.11.16777216",
                                 "2.999.4294967295", "0.0",
                                 "1.3.6.1.2.1.17.7.1.2.2.1.2.10.0.224.252.18.52.86"])
def test_oid_round_trip(oid: str) -> None:
    assert ber.decode_oid(ber._encode_oid(oid)) == oid


def test_values_as_net_snmp_prints_them() -> None:
    long_text = b"x" * 300  # long-form lengths in the varbind, the list and the message
    data = response([
        ("1.3.6.1.2.1.1.1.0", 0x04, long_text),
        ("1.3.6.1.2.1.1.2.0", 0x06, ber.encode_oid("1.3.6.1.4.1.2011.2.23.1")),
        ("1.3.6.1.2.1.1.3.0", 0x43, (123456).to_bytes(3, "big")),
        ("1.3.6.1.4.1.9.9.13.1.3.1.3.1", 0x02, (-5).to_bytes(1, "big", signed=True)),
        ("1.3.6.1.2.1.31.1.1.1.6.1", 0x46, (2**64 - 1).to_bytes(9, "big")),
        ("1.3.6.1.2.1.4.20.1.1.1", 0x40, bytes([192, 0, 2, 1])),
        ("1.3.6.1.2.1.17.4.3.1.1.1", 0x04, bytes.fromhex("00e0fc123456")),
        ("1.3.6.1.2.1.1.5.0", 0x04, "机房".encode()),
        ("1.3.6.1.2.1.1.9.0", 0x81, b""),
        ("1.3.6.1.2.1.1.10.0", 0x82, b""),
    ])
    got = ber.decode_response(data)
    assert got.request_id == 77 and got.error_status == 0
    rows = [(v.oid, v.type, v.value) for v in got.varbinds]
    assert rows == [
        ("1.3.6.1.2.1.1.1.0", "STRING", "x" * 300),
        ("1.3.6.1.2.1.1.2.0", "OID", "1.3.6.1.4.1.2011.2.23.1"),
        ("1.3.6.1.2.1.1.3.0", "Timeticks", "123456"),
        ("1.3.6.1.4.1.9.9.13.1.3.1.3.1", "INTEGER", "-5"),
        ("1.3.6.1.2.1.31.1.1.1.6.1", "Counter64", str(2**64 - 1)),
        ("1.3.6.1.2.1.4.20.1.1.1", "IpAddress", "192.0.2.1"),
        ("1.3.6.1.2.1.17.4.3.1.1.1", "Hex-STRING", bytes.fromhex("00e0fc123456")),
        ("1.3.6.1.2.1.1.5.0", "Hex-STRING", "机房".encode()),
        ("1.3.6.1.2.1.1.9.0", "NOSUCHINSTANCE", ""),
        ("1.3.6.1.2.1.1.10.0", "ENDOFMIBVIEW", ""),
    ]
    assert got.varbinds[7].text() == "机房"
    assert ber.peek_request_id(data) == 77


def test_every_truncation_is_a_ber_error() -> None:
    data = response([("1.3.6.1.2.1.1.1.0", 0x04, b"y" * 200), ("1.3.6.1.2.1.1.3.0", 0x43, b"\x01")])
    for cut in range(len(data)):
        with pytest.raises(ber.BerError):
            ber.decode_response(data[:cut])
    with pytest.raises(ber.BerError):
        ber.decode_response(b"\x00garbage\xff")
    assert ber.peek_request_id(b"\x30\x82\x01\x00\x02\x01") is None


@pytest.mark.parametrize(("version", "pdu"), [("1", ber.GETNEXT), ("2c", ber.GETBULK), ("2c", ber.GET)])
def test_requests_decode_with_pysnmp(version: str, pdu: int) -> None:
    # An independent BER implementation reads our requests back.
    from pyasn1.codec.ber import decoder
    from pysnmp.proto import api

    oids = ["1.3.6.1.2.1.2.2.1.2", "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.11"]
    data = ber.encode_request(version, b"sec-ret", pdu, 2**31 - 2, oids, 25)
    mod = api.PROTOCOL_MODULES[api.SNMP_VERSION_1 if version == "1" else api.SNMP_VERSION_2C]
    msg, rest = decoder.decode(data, asn1Spec=mod.Message())
    assert not rest and bytes(mod.apiMessage.get_community(msg)) == b"sec-ret"
    req = mod.apiMessage.get_pdu(msg)
    assert int(mod.apiPDU.get_request_id(req)) == 2**31 - 2
    assert [str(o) for o, _ in mod.apiPDU.get_varbinds(req)] == oids
    if pdu == ber.GETBULK:
        assert int(mod.apiBulkPDU.get_max_repetitions(req)) == 25


def test_v1_no_such_name_drops_only_the_missing_oid(snmpsim: Agent) -> None:
    opts = SnmpOptions(version="1", community="minimal", timeout=2, retries=0)  # type: ignore[arg-type]
    client = Client("v1", "127.0.0.1", snmpsim.port, opts, SnmpShared(4))
    got = asyncio.run(client.get(["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.99.0", "1.3.6.1.2.1.1.2.0"]))
    assert sorted(got) == ["1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.3.0"]
    assert got["1.3.6.1.2.1.1.3.0"].number() == 4200
