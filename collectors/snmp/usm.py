"""SNMPv3 user-based security (RFC 3414, 3826, 7860): keys from pass phrases, HMAC digests, DES/AES.

Hashing is hashlib's and hmac's (C, one call each); the ciphers are the ``cryptography``
package's. A pass phrase becomes a key once per pass phrase and protocol (a megabyte of
hashing, RFC 3414 A.2), shared by every device that uses it (``KeyCache``), and is localised
to each agent's engine ID. AES-192/256 keys longer than the hash are extended as net-snmp and
draft-blumenthal-aes-usm-04 do (``key += H(key)``). Nothing here logs or formats a key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:  # newer cryptography keeps CFB (which RFC 3826 requires) among the "decrepit" modes
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - cryptography < 47
    CFB = modes.CFB  # type: ignore[misc]

# auth protocol -> (hashlib name, bytes of the digest sent: RFC 3414 truncates to 96 bits,
# RFC 7860 keeps half of SHA-2's output)
AUTH = {"MD5": ("md5", 12), "SHA": ("sha1", 12), "SHA224": ("sha224", 16), "SHA256": ("sha256", 24),
        "SHA384": ("sha384", 32), "SHA512": ("sha512", 48)}
PRIV_KEY_BYTES = {"DES": 16, "AES": 16, "AES192": 24, "AES256": 32}  # DES: 8 key + 8 pre-IV
_ONE_MEGABYTE = 1_048_576


class UsmError(ValueError):
    """An answer that fails its digest or cannot be decrypted."""


def password_to_key(passphrase: bytes, hash_name: str) -> bytes:
    """Ku: the hash of the pass phrase repeated to one megabyte (RFC 3414 A.2.1 / A.2.2)."""
    reps, rest = divmod(_ONE_MEGABYTE, len(passphrase))
    return hashlib.new(hash_name, passphrase * reps + passphrase[:rest]).digest()


def localize(ku: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """Kul: Ku bound to one agent's engine ID (RFC 3414 A.2)."""
    return hashlib.new(hash_name, ku + engine_id + ku).digest()


def extend(kul: bytes, size: int, hash_name: str) -> bytes:
    """A localised key cut or extended to ``size`` bytes (Blumenthal: append H(key so far))."""
    while len(kul) < size:
        kul += hashlib.new(hash_name, kul).digest()
    return kul[:size]


@dataclass
class KeyCache:
    """Ku per (pass phrase, hash): many devices of a site share their v3 credentials, and each
    Ku costs a megabyte of hashing."""

    _keys: dict[tuple[bytes, str], bytes] = field(default_factory=dict, repr=False)

    def ku(self, passphrase: bytes, hash_name: str) -> bytes:
        """The pass phrase's Ku for ``hash_name``, computed once."""
        key = self._keys.get((passphrase, hash_name))
        if key is None:
            key = self._keys[(passphrase, hash_name)] = password_to_key(passphrase, hash_name)
        return key


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """One user's protocols and pass phrases (``None``: that level is not used)."""

    user: bytes
    auth: str | None = None
    auth_key: bytes = b""
    priv: str | None = None
    priv_key: bytes = b""

    def __repr__(self) -> str:  # never the pass phrases
        return f"Credentials(user={self.user!r}, auth={self.auth}, priv={self.priv})"

    @property
    def flags(self) -> int:
        """msgFlags for a request: auth 1, priv 2, and reportable 4."""
        return 4 | (1 if self.auth else 0) | (2 if self.priv else 0)

    @property
    def digest_size(self) -> int:
        """Bytes of msgAuthenticationParameters (0 without auth)."""
        return AUTH[self.auth][1] if self.auth else 0


class LocalKeys:
    """A user's keys localised to one engine: signs, verifies, encrypts and decrypts messages."""

    __slots__ = ("_auth", "_hash", "_pre_iv", "_priv", "_priv_key", "_salt", "digest_size")

    def __init__(self, creds: Credentials, engine_id: bytes, cache: KeyCache) -> None:
        self._auth = self._priv_key = self._pre_iv = b""
        self._hash = ""
        self._priv = creds.priv
        self.digest_size = creds.digest_size
        self._salt = int.from_bytes(os.urandom(8), "big")  # RFC 3826 3.1.2.1: start anywhere
        if creds.auth:
            self._hash = AUTH[creds.auth][0]
            self._auth = localize(cache.ku(creds.auth_key, self._hash), engine_id, self._hash)
        if creds.priv:
            # The privacy key is localised with the authentication protocol's hash (RFC 3414 2.6).
            kul = localize(cache.ku(creds.priv_key, self._hash), engine_id, self._hash)
            key = extend(kul, PRIV_KEY_BYTES[creds.priv], self._hash)
            if creds.priv == "DES":
                self._priv_key, self._pre_iv = key[:8] * 3, key[8:16]  # 3DES with one key is DES
            else:
                self._priv_key = key

    def sign(self, message: bytes) -> bytes:
        """The digest of a whole message whose digest field is still zeros."""
        return hmac.digest(self._auth, message, self._hash)[:self.digest_size]

    def verify(self, message: bytes, start: int) -> bool:
        """Whether the digest at ``message[start:]`` matches the message."""
        end = start + self.digest_size
        zeroed = message[:start] + bytes(self.digest_size) + message[end:]
        return hmac.compare_digest(self.sign(zeroed), message[start:end])

    def encrypt(self, plain: bytes, boots: int, time: int) -> tuple[bytes, bytes]:
        """(ciphertext, msgPrivacyParameters) for a scoped PDU."""
        self._salt = (self._salt + 1) & 0xFFFF_FFFF_FFFF_FFFF
        if self._priv == "DES":
            # RFC 3414 8.1.1.1: salt = boots + a local counter, IV = pre-IV XOR salt; pad to 8.
            salt = boots.to_bytes(4, "big") + (self._salt & 0xFFFF_FFFF).to_bytes(4, "big")
            plain += bytes(-len(plain) % 8)
            enc = Cipher(TripleDES(self._priv_key), modes.CBC(self._des_iv(salt))).encryptor()
        else:
            salt = self._salt.to_bytes(8, "big")
            enc = Cipher(algorithms.AES(self._priv_key), CFB(_aes_iv(boots, time, salt))).encryptor()
        return enc.update(plain) + enc.finalize(), salt

    def decrypt(self, cipher: bytes, salt: bytes, boots: int, time: int) -> bytes:
        """A scoped PDU from an answer's encryptedPDU; UsmError if it cannot be."""
        if len(salt) != 8:
            raise UsmError("privacy parameters are not 8 bytes")
        if self._priv == "DES":
            if len(cipher) % 8:
                raise UsmError("DES ciphertext is not a whole number of blocks")
            dec = Cipher(TripleDES(self._priv_key), modes.CBC(self._des_iv(salt))).decryptor()
        else:
            dec = Cipher(algorithms.AES(self._priv_key), CFB(_aes_iv(boots, time, salt))).decryptor()
        return dec.update(cipher) + dec.finalize()

    def _des_iv(self, salt: bytes) -> bytes:
        return bytes(a ^ b for a, b in zip(self._pre_iv, salt, strict=True))


def _aes_iv(boots: int, time: int, salt: bytes) -> bytes:
    # RFC 3826 3.1.2.1: engineBoots, engineTime (4 bytes each, big-endian) and the 8-byte salt.
    return boots.to_bytes(4, "big") + time.to_bytes(4, "big") + salt
