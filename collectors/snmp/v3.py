"""SNMPv3 messages on the BER fast path: engine discovery, the time window, reports as clear errors.

A ``V3Session`` is one device's view of its agent (authoritative engine ID, boots, time): the
first request discovers them (an empty GET answered by a usmStatsUnknownEngineIDs report, RFC
3414 4), each authenticated answer moves the agent's clock forward (3.2 step 7b), a
notInTimeWindow report re-synchronises it and the request is sent once more, and an
unknownEngineID report (the agent was reinstalled) starts discovery again. Other reports
become errors that say what to change — never a key. The agent's clock runs on ``clock``
(monotonic seconds), a parameter so tests can put it out of the window without waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from collectors.snmp import ber
from collectors.snmp.usm import Credentials, KeyCache, LocalKeys, UsmError

log = logging.getLogger(__name__)

_MAX_SIZE = 65507  # the largest UDP payload: what we accept back
_USM = 3  # msgSecurityModel
_STATS = "1.3.6.1.6.3.15.1.1."
NOT_IN_TIME_WINDOW, UNKNOWN_ENGINE_ID = _STATS + "2.0", _STATS + "4.0"
# What a report means, said for whoever reads the log and fixes the config.
REPORTS = {
    _STATS + "1.0": "the agent does not allow this security level for the user "
                    "(usmStatsUnsupportedSecLevels): check auth_protocol/priv_protocol",
    NOT_IN_TIME_WINDOW: "the agent's clock stays outside the time window (usmStatsNotInTimeWindows)",
    _STATS + "3.0": "the agent does not know this user (usmStatsUnknownUserNames): check user",
    UNKNOWN_ENGINE_ID: "the agent keeps changing its engine ID (usmStatsUnknownEngineIDs)",
    _STATS + "5.0": "wrong auth_key or auth_protocol (the agent reports usmStatsWrongDigests)",
    _STATS + "6.0": "wrong priv_key or priv_protocol (the agent reports usmStatsDecryptionErrors)",
    "1.3.6.1.6.3.12.1.4.0": "the agent has no such context (snmpUnavailableContexts): check context",
    "1.3.6.1.6.3.12.1.5.0": "the agent has no such context (snmpUnknownContexts): check context",
}
Send = Callable[[Callable[[int], bytes]], Awaitable[bytes]]
"""Send ``encode(message_id)`` and return the answer's bytes (TimeoutError when none comes)."""


class V3Error(ValueError):
    """The agent answered with a report, or an answer failed its checks."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A decoded v3 answer: the security parameters that matter and its PDU."""

    engine_id: bytes
    boots: int
    time: int
    authenticated: bool
    tag: int
    pdu: ber.Response


class V3Session:
    """One device's USM state and request/answer exchange."""

    def __init__(self, creds: Credentials, context: str, cache: KeyCache,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.creds = creds
        self.context = context.encode()
        self.clock = clock
        self._cache = cache
        self._engine: bytes | None = None
        self._keys: LocalKeys | None = None
        self._boots = self._time = 0
        self._synced_at = 0.0

    async def exchange(self, send: Send, pdu: int, oids: list[str], reps: int) -> ber.Response:
        """One request and its answer, discovering the engine and fixing the clock on the way;
        V3Error for a report or an answer that fails its checks."""
        if self._engine is None:
            await self._discover(send)
        for attempt in range(2):
            msg = self._decode(await send(lambda mid: self._encode(pdu, mid, oids, reps)))
            if msg.tag == ber.RESPONSE:
                return msg.pdu
            oid = msg.pdu.varbinds[0].oid if msg.pdu.varbinds else ""
            if attempt == 0 and oid == NOT_IN_TIME_WINDOW:
                log.debug("snmp v3: agent %s: clock re-synchronised (boots %d, time %d)",
                          self._engine.hex() if self._engine else "", msg.boots, msg.time)
                self._sync(msg.boots, msg.time)
                continue
            if attempt == 0 and oid == UNKNOWN_ENGINE_ID:
                await self._discover(send)
                continue
            raise V3Error(REPORTS.get(oid, f"the agent answered with a report ({oid or 'empty'})"))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _discover(self, send: Send) -> None:
        self._engine, self._keys = None, None
        msg = self._decode(await send(self._probe))
        if not msg.engine_id:
            raise V3Error("the agent's discovery answer carries no engine ID")
        self._engine = msg.engine_id
        self._keys = LocalKeys(self.creds, msg.engine_id, self._cache) if self.creds.auth else None
        self._sync(msg.boots, msg.time)

    def _sync(self, boots: int, engine_time: int) -> None:
        self._boots, self._time, self._synced_at = boots, engine_time, self.clock()

    def _now(self) -> int:
        return min(self._time + int(self.clock() - self._synced_at), 2**31 - 1)

    def _probe(self, mid: int) -> bytes:
        """The discovery request: no user, no engine, an empty GET, reportable."""
        scoped = ber.tlv(0x30, b"\x04\x00\x04\x00" + ber.encode_pdu(ber.GET, mid, []))
        params = ber.tlv(0x30, b"\x04\x00" + ber.integer(0) + ber.integer(0) + b"\x04\x00" * 3)
        return _wrap(mid, 4, params, scoped)

    def _encode(self, pdu: int, mid: int, oids: list[str], reps: int) -> bytes:
        assert self._engine is not None
        creds, keys, boots = self.creds, self._keys, self._boots
        now = self._now()
        scoped = ber.tlv(0x30, ber.tlv(0x04, self._engine) + ber.tlv(0x04, self.context)
                         + ber.encode_pdu(pdu, mid, oids, reps))
        salt = b""
        if creds.priv and keys is not None:
            cipher, salt = keys.encrypt(scoped, boots, now)
            scoped = ber.tlv(0x04, cipher)
        size = creds.digest_size
        head = (ber.tlv(0x04, self._engine) + ber.integer(boots) + ber.integer(now)
                + ber.tlv(0x04, creds.user))
        params = ber.tlv(0x30, head + ber.tlv(0x04, bytes(size)) + ber.tlv(0x04, salt))
        message = _wrap(mid, creds.flags, params, scoped)
        if keys is None:
            return message
        # The digest goes after the security parameters' own header, the fields before it and
        # its tag and length (one byte: a digest is under 128 bytes).
        at = len(message) - len(scoped) - len(params) + _prefix(params) + len(head) + 2
        return message[:at] + keys.sign(message) + message[at + size:]

    def _decode(self, data: bytes) -> Message:
        try:
            return self._parse(data)
        except (ber.BerError, IndexError) as err:
            raise V3Error(f"malformed v3 answer: {err}") from None
        except UsmError as err:
            raise V3Error(str(err)) from None

    def _parse(self, data: bytes) -> Message:
        start, end = ber.expect(data, 0, 0x30)
        s, pos = ber.expect(data, start, 0x02)
        if data[s:pos] != b"\x03":
            raise ber.BerError("not an SNMPv3 message")
        s, pos = ber.expect(data, pos, 0x30)                    # msgGlobalData
        s, e = ber.expect(data, s, 0x02)                        # msgID (the transport matched it)
        s, e = ber.expect(data, e, 0x02)                        # msgMaxSize
        s, e = ber.expect(data, e, 0x04)                        # msgFlags
        flags = data[s] if e > s else 0
        s, e = ber.expect(data, e, 0x02)
        if int.from_bytes(data[s:e], "big") != _USM:
            raise ber.BerError("not the user-based security model")
        s, pos = ber.expect(data, pos, 0x04)                    # msgSecurityParameters
        s, _ = ber.expect(data, s, 0x30)
        s, e = ber.expect(data, s, 0x04)
        engine_id = data[s:e]
        s, e = ber.expect(data, e, 0x02)
        boots = int.from_bytes(data[s:e], "big")
        s, e = ber.expect(data, e, 0x02)
        engine_time = int.from_bytes(data[s:e], "big")
        s, e = ber.expect(data, e, 0x04)                        # msgUserName
        digest_at, e = ber.expect(data, e, 0x04)
        digest = data[digest_at:e]
        s, e = ber.expect(data, e, 0x04)
        salt = data[s:e]
        keys = self._keys
        authenticated = bool(flags & 1)
        if authenticated:
            if keys is None or len(digest) != keys.digest_size or not keys.verify(data, digest_at):
                raise UsmError("the answer's digest does not match (wrong auth_key or auth_protocol?)")
            if boots > self._boots or (boots == self._boots and engine_time > self._now()):
                self._sync(boots, engine_time)  # RFC 3414 3.2 step 7b: the agent's clock only moves on
        if flags & 2:
            if keys is None or not authenticated:
                raise UsmError("an encrypted answer without authentication")
            s, e = ber.expect(data, pos, 0x04)
            scoped = keys.decrypt(data[s:e], salt, boots, engine_time)
            s, last = ber.expect(scoped, 0, 0x30)
        else:
            scoped, last = data, end
            s, _ = ber.expect(data, pos, 0x30)
        s, e = ber.expect(scoped, s, 0x04)                      # contextEngineID
        s, e = ber.expect(scoped, e, 0x04)                      # contextName
        tag, pdu = ber.decode_pdu(scoped, e, last)
        protected = authenticated and bool(flags & 2 or not self.creds.priv)
        if tag != ber.REPORT and keys is not None and not protected:
            # Only a report may come back below the level asked (RFC 3412 7.2 step 3).
            raise UsmError("the answer is not protected at the level asked")
        return Message(engine_id=engine_id, boots=boots, time=engine_time, authenticated=authenticated,
                       tag=tag, pdu=pdu)


def _wrap(mid: int, flags: int, params: bytes, scoped: bytes) -> bytes:
    header = ber.tlv(0x30, ber.integer(mid) + ber.integer(_MAX_SIZE) + bytes((0x04, 1, flags))
                     + ber.integer(_USM))
    return ber.tlv(0x30, ber.integer(3) + header + ber.tlv(0x04, params) + scoped)


def _prefix(tlv: bytes) -> int:
    """How many bytes a TLV's tag and length take."""
    return 2 + (tlv[1] & 0x7F if tlv[1] & 0x80 else 0)
