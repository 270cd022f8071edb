"""Learning senders' engine IDs: only configured users, bounded in count and pace."""

from __future__ import annotations

from pyasn1.codec.ber import encoder
from pysnmp.entity import engine
from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from collectors.traps import TrapUser
from collectors.traps.usm import Users

USER = TrapUser(user="trapper", auth_protocol="SHA", auth_key="auth-key-1",  # type: ignore[arg-type]
                priv_protocol="AES", priv_key="priv-key-2")  # type: ignore[arg-type]


def v3_header(engine_id: bytes, user: bytes) -> bytes:
    """A v3 message as far as the learner reads it (header and USM parameters; empty body)."""
    params = UsmSecurityParameters()
    for i, value in enumerate((engine_id, 1, 1, user, b"", b"")):
        params.setComponentByPosition(i, value)
    msg = SNMPv3Message()
    msg.setComponentByPosition(0, 3)
    glob = msg.getComponentByPosition(1)
    for i, value in enumerate((1, 65507, b"\x07", 3)):
        glob.setComponentByPosition(i, value)
    msg.setComponentByPosition(2, encoder.encode(params))
    msg.getComponentByPosition(3).setComponentByPosition(1, b"sealed")  # encryptedPDU
    return bytes(encoder.encode(msg))


def test_only_configured_users_from_other_engines_are_learned_and_the_table_is_capped() -> None:
    users = Users(engine.SnmpEngine(), [USER], cap=3, per_s=100)
    users.learn(v3_header(b"\x80\x00\x1f\x88\x01", b"mallory"))       # not our user
    users.learn(v3_header(users.local_id, b"trapper"))                 # our own engine: informs
    users.learn(v3_header(b"\x80", b"trapper"))                        # too short for an engine ID
    users.learn(b"\x30\x03\x02\x01\x01")                               # v1-ish / garbage
    assert list(users.learned) == []
    for i in range(5):
        users.learn(v3_header(bytes([0x80, 0, 0, 9, i]), b"trapper"))
    assert [eid[-1] for eid, _ in users.learned] == [2, 3, 4]          # least recently used forgotten


def test_learning_is_paced() -> None:
    users = Users(engine.SnmpEngine(), [USER], per_s=2)
    for i in range(10):  # a burst of made-up engines: only the bucket's worth are learned
        users.learn(v3_header(bytes([0x80, 0, 0, 7, i]), b"trapper"))
    assert len(users.learned) == 2
