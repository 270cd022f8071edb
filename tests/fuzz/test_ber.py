"""The BER decoder of SNMP responses on any datagram, and on valid responses cut and bent:
it returns a Response or raises BerError (the project's own), nothing else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from collectors.snmp import ber

OIDS = ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.2.2.1.10.1", "1.3.6.1.2.1.31.1.1.1.6.4096",
        "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.11.16842753"]
VALID = [ber.encode_request(version, b"public", ber.RESPONSE, rid, OIDS[:n])
         for version in ("1", "2c") for rid in (1, 2**31 - 1) for n in (1, 4)]


def _decodes_or_refuses(data: bytes) -> None:
    try:
        response = ber.decode_response(data)
    except ber.BerError:
        return
    assert isinstance(response.request_id, int)
    for var in response.varbinds:
        assert isinstance(var.oid, str)


@given(st.binary(max_size=600))
def test_any_bytes(data: bytes) -> None:
    _decodes_or_refuses(data)


@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)),
                                        max_size=6), st.integers(0, 10_000))
def test_valid_responses_bent_and_cut(data: bytes, flips: list[tuple[int, int]], cut: int) -> None:
    bent = bytearray(data)
    for at, value in flips:
        bent[at % len(bent)] = value
    _decodes_or_refuses(bytes(bent[: max(cut, 1)]))
    _decodes_or_refuses(bytes(bent))


@given(st.sampled_from(VALID), st.integers(0, 200), st.binary(min_size=1, max_size=12))
def test_valid_responses_with_bytes_inserted(data: bytes, at: int, extra: bytes) -> None:
    at %= len(data)
    _decodes_or_refuses(data[:at] + extra + data[at:])
