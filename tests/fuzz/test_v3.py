"""The SNMPv3 answer decoder on any datagram, and on valid signed and encrypted answers cut and
bent: it returns a message or raises V3Error (the project's own), nothing else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from collectors.snmp import ber
from collectors.snmp.usm import Credentials, KeyCache, LocalKeys
from collectors.snmp.v3 import V3Error, V3Session

ENGINE = bytes.fromhex("80001f8880c1b2a3d4e5f60708")
OIDS = ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.31.1.1.1.6.4096"]
_CACHE = KeyCache()


def _session(auth: str | None, priv: str | None) -> V3Session:
    creds = Credentials(user=b"fuzz", auth=auth, auth_key=b"fuzz-auth-key" if auth else b"",
                        priv=priv, priv_key=b"fuzz-priv-key" if priv else b"")
    session = V3Session(creds, "", _CACHE, clock=lambda: 1000.0)
    session._engine = ENGINE
    session._keys = LocalKeys(creds, ENGINE, _CACHE) if auth else None
    session._sync(7, 12345)
    return session


SESSIONS = [_session(None, None), _session("MD5", "DES"), _session("SHA256", "AES"), _session("SHA", None)]
# A response PDU encoded by the request encoder: a well-formed answer at each security level.
VALID = [(s, s._encode(ber.RESPONSE, 42, OIDS, 0)) for s in SESSIONS]


def _decodes_or_refuses(session: V3Session, data: bytes) -> None:
    try:
        message = session._decode(data)
    except V3Error:
        return
    assert message.tag in (ber.RESPONSE, ber.REPORT)


def test_valid_answers_decode() -> None:
    for session, data in VALID:
        assert [v.oid for v in session._decode(data).pdu.varbinds] == OIDS


@given(st.sampled_from(SESSIONS), st.binary(max_size=600))
def test_any_bytes(session: V3Session, data: bytes) -> None:
    _decodes_or_refuses(session, data)


@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)),
                                        max_size=6), st.integers(0, 10_000))
def test_valid_answers_bent_and_cut(valid: tuple[V3Session, bytes], flips: list[tuple[int, int]],
                                    cut: int) -> None:
    session, data = valid
    bent = bytearray(data)
    for at, value in flips:
        bent[at % len(bent)] = value
    _decodes_or_refuses(session, bytes(bent[: max(cut, 1)]))
    _decodes_or_refuses(session, bytes(bent))
