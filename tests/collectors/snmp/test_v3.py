"""SNMPv3 on the BER path against Debian's snmpd: every auth and priv protocol, engine discovery,
the time window, and the reports (unknown user, wrong keys, unknown context) as clear errors
that never carry a key. Key derivation is checked against RFC 3414's own test vectors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from collectors.snmp.client import Client, SnmpShared, SnmpTimeout
from collectors.snmp.options import SnmpOptions
from collectors.snmp.usm import localize, password_to_key
from monitor.core.errors import CollectError
from tests.collectors.snmp.conftest import Agent, running_snmpd

SYS_NAME = "1.3.6.1.2.1.1.5.0"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
AUTH, PRIV = "v3-Auth-Phrase-2231", "v3-Priv-Phrase-7781"
# user -> (auth, priv) as roomwatch spells them; snmpd's spelling is derived below
USERS: dict[str, tuple[str | None, str | None]] = {
    "md5des": ("MD5", "DES"), "shaaes": ("SHA", "AES"), "sha224aes192": ("SHA224", "AES192"),
    "sha256aes": ("SHA256", "AES"), "sha384aes256": ("SHA384", "AES256"), "sha512auth": ("SHA512", None),
    "md5auth": ("MD5", None),
}
_NETSNMP = {"SHA224": "SHA-224", "SHA256": "SHA-256", "SHA384": "SHA-384", "SHA512": "SHA-512"}


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    lines = []
    for user, (auth, priv) in USERS.items():
        assert auth is not None
        create = f'createUser {user} {_NETSNMP.get(auth, auth)} "{AUTH}"'
        lines.append(create + (f' {priv} "{PRIV}"\n' if priv else "\n"))
        lines.append(f"rouser {user} {'priv' if priv else 'auth'}\n")
    with running_snmpd(tmp_path_factory.mktemp("snmpd-v3"), "".join(lines)) as running:
        yield running


def client(agent: Agent, user: str, **kw: Any) -> Client:
    auth, priv = USERS.get(user, ("SHA", "AES"))
    fields: dict[str, Any] = {"version": "3", "user": user, "auth_protocol": auth, "auth_key": AUTH,
                              "priv_protocol": priv, "priv_key": PRIV if priv else None,
                              "timeout": 1, "retries": 0}
    fields.update(kw)
    return Client(user, "127.0.0.1", agent.port, SnmpOptions(**fields), SnmpShared(4))


def test_rfc3414_key_vectors() -> None:
    engine = bytes.fromhex("000000000000000000000002")
    md5 = localize(password_to_key(b"maplesyrup", "md5"), engine, "md5")
    sha = localize(password_to_key(b"maplesyrup", "sha1"), engine, "sha1")
    assert md5.hex() == "526f5eed9fcce26f8964c2930787d82b"            # RFC 3414 A.3.1
    assert sha.hex() == "6695febc9288e36282235fc7151f128497b38f3f"    # RFC 3414 A.3.2


@pytest.mark.parametrize("user", list(USERS))
def test_every_protocol_gets_and_walks(agent: Agent, user: str) -> None:
    c = client(agent, user)

    async def run() -> tuple[dict, dict]:
        return await c.get([SYS_NAME]), await c.walk([IF_DESCR])

    got, table = asyncio.run(run())
    assert got[SYS_NAME].value == "roomwatch-test"
    assert "lo" in {v.value for v in table[IF_DESCR].values()}
    # one discovery, then every request answered at once
    assert c.requests == 1 + 1 + len(table[IF_DESCR]) // c.options.max_repetitions + 1


def test_not_in_time_window_resynchronises(agent: Agent) -> None:
    c = client(agent, "shaaes")
    assert c._v3 is not None
    offset = [0.0]
    real = c._v3.clock
    c._v3.clock = lambda: real() + offset[0]

    async def run() -> str:
        await c.get([SYS_NAME])
        before = c.requests
        offset[0] = 3600.0  # our idea of the agent's clock is now an hour ahead: outside 150 s
        got = await c.get([SYS_NAME])
        assert c.requests - before == 2  # the report, then the same request in the window
        return str(got[SYS_NAME].value)

    assert asyncio.run(run()) == "roomwatch-test"


@pytest.mark.parametrize(("user", "kw", "says"), [
    ("nobody", {}, "does not know this user"),
    ("shaaes", {"auth_key": "Planted-Wrong-Auth-41"}, "wrong auth_key or auth_protocol"),
    ("shaaes", {"auth_protocol": "MD5"}, "wrong auth_key or auth_protocol"),
])
def test_reports_are_clear_errors_without_keys(agent: Agent, user: str, kw: dict[str, Any], says: str,
                                               caplog: pytest.LogCaptureFixture) -> None:
    c = client(agent, user, **kw)
    with caplog.at_level(logging.DEBUG), pytest.raises(CollectError) as err:
        asyncio.run(c.get([SYS_NAME]))
    assert says in str(err.value) and f"v3 user {user!r}" in str(err.value)
    for secret in (AUTH, PRIV, "Planted-Wrong-Auth-41"):
        assert secret not in str(err.value) and secret not in caplog.text


@pytest.mark.parametrize("kw", [{"priv_key": "Planted-Wrong-Priv-93"}, {"context": "no-such-context"}])
def test_what_snmpd_drops_times_out_with_a_hint(agent: Agent, kw: dict[str, Any],
                                                caplog: pytest.LogCaptureFixture) -> None:
    # snmpd answers neither a message it cannot decrypt nor an unknown context: no report to read
    c = client(agent, "shaaes", **kw)
    with caplog.at_level(logging.DEBUG), pytest.raises(SnmpTimeout) as err:
        asyncio.run(c.get([SYS_NAME]))
    assert "wrong priv_key or context" in str(err.value)
    for secret in (AUTH, PRIV, "Planted-Wrong-Priv-93"):
        assert secret not in str(err.value) and secret not in caplog.text


def test_auth_no_priv_user_asking_for_priv_is_refused(agent: Agent) -> None:
    c = client(agent, "md5auth", priv_protocol="DES", priv_key=PRIV)
    with pytest.raises(CollectError) as err:
        asyncio.run(c.get([SYS_NAME]))
    assert "v3 user 'md5auth'" in str(err.value) and "security level" in str(err.value)


def test_unknown_engine_id_rediscovers(agent: Agent) -> None:
    # What a client sees after the agent was reinstalled with a new engine ID: its next request
    # names the old engine, the agent reports usmStatsUnknownEngineIDs, discovery runs again.
    c = client(agent, "sha256aes")
    assert c._v3 is not None

    async def run() -> str:
        await c.get([SYS_NAME])
        assert c._v3 is not None
        real = c._v3._engine
        c._v3._engine = bytes.fromhex("80001f88800000000000000000")
        before = c.requests
        got = await c.get([SYS_NAME])
        assert c.requests - before == 3  # the report, discovery, the request again
        assert c._v3._engine == real
        return str(got[SYS_NAME].value)

    assert asyncio.run(run()) == "roomwatch-test"
