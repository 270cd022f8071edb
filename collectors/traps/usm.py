"""SNMPv3 users of the trap receiver, and the senders' engine IDs learned as traps arrive.

A v3 trap is authenticated with keys localized to the *sender's* engine ID, which a receiver
cannot know beforehand (net-snmp's snmptrapd wants one ``createUser -e ID`` line per sender).
Here the header of each v3 message is read first: a configured user name from an engine not yet
seen gets its keys localized to that engine, then pysnmp authenticates the message as usual. A
forged trap still fails authentication; the table of learned engines is capped (least recently
used forgotten) and so is the pace of learning (pysnmp takes ~3 ms to add a user), so a flood of
made-up engine IDs costs bounded memory and CPU; a real sender refused meanwhile is learned from
its next trap.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from pyasn1.codec.ber import decoder
from pysnmp.entity import config
from pysnmp.proto import rfc1902
from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from collectors.traps import TrapUser

AUTH = {"MD5": config.USM_AUTH_HMAC96_MD5, "SHA": config.USM_AUTH_HMAC96_SHA,
        "SHA224": config.USM_AUTH_HMAC128_SHA224, "SHA256": config.USM_AUTH_HMAC192_SHA256,
        "SHA384": config.USM_AUTH_HMAC256_SHA384, "SHA512": config.USM_AUTH_HMAC384_SHA512}
# AES192/AES256 as net-snmp (and so the poller) mean them: Blumenthal key extension.
PRIV = {"DES": config.USM_PRIV_CBC56_DES, "AES": config.USM_PRIV_CFB128_AES,
        "AES192": config.USM_PRIV_CFB192_AES_BLUMENTHAL, "AES256": config.USM_PRIV_CFB256_AES_BLUMENTHAL}
LEARNED_CAP = 1024
LEARN_PER_S = 20.0


class Users:
    """The configured v3 users on one pysnmp engine, plus the sender engines learned so far."""

    def __init__(self, engine: Any, users: list[TrapUser], *, cap: int = LEARNED_CAP,
                 per_s: float = LEARN_PER_S) -> None:
        self.engine = engine
        self.cap = cap
        self.per_s = per_s
        self._budget, self._at = per_s, time.monotonic()
        self.local_id = bytes(engine.get_mib_builder().import_symbols(
            "__SNMP-FRAMEWORK-MIB", "snmpEngineID")[0].syntax)
        self._keys: dict[bytes, tuple[Any, Any, Any, Any]] = {}
        self.learned: OrderedDict[tuple[bytes, bytes], None] = OrderedDict()
        for user in users:
            auth = AUTH[user.auth_protocol] if user.auth_protocol else config.USM_AUTH_NONE
            priv = PRIV[user.priv_protocol] if user.priv_protocol else config.USM_PRIV_NONE
            # Master keys once (a megabyte of hashing each); localizing them per engine is cheap.
            auth_master = priv_master = None
            if user.auth_key is not None and auth != config.USM_AUTH_NONE:
                secret = rfc1902.OctetString(user.auth_key.get_secret_value().encode())
                auth_master = config.AUTH_SERVICES[auth].hash_passphrase(secret)
            if user.priv_key is not None and priv != config.USM_PRIV_NONE:
                secret = rfc1902.OctetString(user.priv_key.get_secret_value().encode())
                priv_master = config.PRIV_SERVICES[priv].hash_passphrase(auth, secret)
            name = user.user.encode()
            self._keys[name] = (auth, auth_master, priv, priv_master)
            self._add(name, None)  # the local engine: informs, whose sender discovers our ID

    def learn(self, message: bytes) -> None:
        """Before pysnmp sees a v3 message: localize its user's keys to its sender's engine."""
        if not self._keys or not message or message[:1] != b"\x30":
            return
        try:
            msg, _ = decoder.decode(message, asn1Spec=SNMPv3Message())
            params, _ = decoder.decode(bytes(msg["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters())
            engine_id = bytes(params["msgAuthoritativeEngineId"])
            user = bytes(params["msgUserName"])
        except Exception:  # v1/v2c, or garbage: pysnmp counts and drops it
            return
        if user not in self._keys or engine_id == self.local_id or not 4 < len(engine_id) < 33:
            return
        key = (engine_id, user)
        if key in self.learned:
            self.learned.move_to_end(key)
            return
        now = time.monotonic()  # token bucket: at most per_s new engines a second, bursts of per_s
        self._budget = min(self.per_s, self._budget + (now - self._at) * self.per_s)
        self._at = now
        if self._budget < 1:
            return
        self._budget -= 1
        self._add(user, engine_id)
        self.learned[key] = None
        if len(self.learned) > self.cap:
            (old_id, old_user), _ = self.learned.popitem(last=False)
            config.delete_v3_user(self.engine, old_user, securityEngineId=rfc1902.OctetString(old_id))

    def _add(self, user: bytes, engine_id: bytes | None) -> None:
        auth, auth_master, priv, priv_master = self._keys[user]
        config.add_v3_user(
            self.engine, user, auth, auth_master, priv, priv_master,
            securityEngineId=rfc1902.OctetString(engine_id) if engine_id is not None else None,
            authKeyType=config.USM_KEY_TYPE_MASTER, privKeyType=config.USM_KEY_TYPE_MASTER)
