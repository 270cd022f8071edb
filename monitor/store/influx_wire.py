"""What the InfluxDB output puts on the wire and reads back: gzip bodies, refusal reasons,
Retry-After."""

from __future__ import annotations

import email.utils
import gzip
import time
from collections.abc import Mapping

from influxdb_client.rest import ApiException

MAX_BACKOFF = 60.0


def lines_of(lines: list[str] | None, body: bytes) -> list[str]:
    """The lines of a batch: as given, or unpacked from its gzip body (a replayed batch)."""
    return lines if lines is not None else gzip.decompress(body).decode().split("\n")


def gzip_lines(lines: list[str]) -> bytes:
    """One request body. zlib lets go of the GIL while it works, so encoding goes on meanwhile."""
    # Level 1: level 9 (the client's own) costs more CPU than the whole encoding, for ~20 % less size.
    return gzip.compress("\n".join(lines).encode(), compresslevel=1)


def reason(err: ApiException) -> str:
    """The server's words for a refusal, short enough for a log line."""
    body = err.body.decode(errors="replace") if isinstance(err.body, bytes) else str(err.body or "")
    return (body or str(err.reason or "")).strip()[:300]


def retry_after(err: ApiException) -> float:
    """Seconds the server asked us to wait (Retry-After as seconds or a date), capped; 0 if none."""
    headers: Mapping[str, str] = err.headers or {}
    value = headers.get("Retry-After", "")
    if not value:
        return 0.0
    try:
        return min(MAX_BACKOFF * 10, max(0.0, float(value)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return min(MAX_BACKOFF * 10, max(0.0, when.timestamp() - time.time()))

