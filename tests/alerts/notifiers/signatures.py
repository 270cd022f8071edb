"""The providers' published request-signing algorithms, written from their documentation, used by
the fake provider servers to verify every request the SDKs send (never to sign roomwatch's own).

Aliyun: V3 "ACS3-HMAC-SHA256" (help.aliyun.com, V3 版本请求体&签名机制). Tencent Cloud: signature
v3 "TC3-HMAC-SHA256" (cloud.tencent.com, 签名方法 v3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import quote


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rfc3986(text: str) -> str:
    return quote(text, safe="-_.~")


def acs3_signature(*, secret: str, method: str, path: str, query: Sequence[tuple[str, str]],
                   headers: Mapping[str, str], signed: Sequence[str], body: bytes) -> str:
    """Hex HMAC-SHA256 of ``ACS3-HMAC-SHA256\\n`` + SHA256(CanonicalRequest), keyed by the secret."""
    canonical_query = "&".join(f"{_rfc3986(k)}={_rfc3986(v)}" for k, v in sorted(query))
    lower = {k.lower(): v.strip() for k, v in headers.items()}
    canonical_headers = "".join(f"{h}:{lower[h]}\n" for h in signed)
    canonical = "\n".join([method, path or "/", canonical_query, canonical_headers, ";".join(signed),
                           _sha256(body)])
    to_sign = "ACS3-HMAC-SHA256\n" + _sha256(canonical.encode())
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_signature(*, secret_key: str, service: str, timestamp: int, method: str, path: str,
                  query: str, headers: Mapping[str, str], signed: Sequence[str], body: bytes) -> str:
    """Hex TC3-HMAC-SHA256 over the canonical request, with the date/service/tc3_request key chain."""
    lower = {k.lower(): v.strip().lower() for k, v in headers.items()}
    canonical_headers = "".join(f"{h}:{lower[h]}\n" for h in signed)
    canonical = "\n".join([method, path or "/", query, canonical_headers, ";".join(signed), _sha256(body)])
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{_sha256(canonical.encode())}"

    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def parse_authorization(value: str) -> tuple[str, dict[str, str]]:
    """``ALGO Credential=…, SignedHeaders=…, Signature=…`` → (algorithm, fields)."""
    algorithm, _, rest = value.partition(" ")
    fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
    return algorithm, fields
