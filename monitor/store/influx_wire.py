"""What the InfluxDB output puts on the wire and reads back: request bodies, one write request on
a kept-alive connection, refusal reasons, Retry-After."""

from __future__ import annotations

import email.utils
import gzip
import http.client
import ssl
import threading
import time
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from monitor.store.settings import InfluxSettings

MAX_BACKOFF = 60.0
GZIP_MAGIC = b"\x1f\x8b"  # a gzip body starts so; line protocol never does
# A kept-alive connection the server has since closed fails on its next use: try once more afresh.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class Refused(Exception):
    """The server answered, but not 2xx: its status, words and headers (names in lower case)."""

    def __init__(self, status: int, reason: str, body: bytes, headers: Mapping[str, str]) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.reason = reason
        self.body = body
        self.headers = headers


def join_lines(lines: list[bytes], *, compress: bool) -> bytes:
    """One request body, gzip (level 1) when asked."""
    body = b"\n".join(lines)
    # Level 1: level 9 (the client library's) costs more CPU than the whole encoding, for ~20 % less size.
    return gzip.compress(body, compresslevel=1) if compress else body


def lines_of(lines: list[bytes] | None, body: bytes) -> list[bytes]:
    """The lines of a batch: as given, or unpacked from its body (a replayed batch)."""
    if lines is not None:
        return lines
    return (gzip.decompress(body) if body.startswith(GZIP_MAGIC) else body).split(b"\n")


class Poster:
    """Posts bodies to the v2 write API. Each thread keeps its own connection alive, as a plain
    client would: the client library's per-request machinery cost more CPU than the request."""

    def __init__(self, settings: InfluxSettings) -> None:
        parts = urlsplit(settings.url)
        self._host = parts.hostname or ""
        self._port = parts.port
        self._timeout = settings.timeout
        self._tls: ssl.SSLContext | None = None
        if parts.scheme == "https":
            self._tls = ssl.create_default_context()
            if not settings.verify_tls:
                self._tls.check_hostname = False
                self._tls.verify_mode = ssl.CERT_NONE
        query = urlencode({"org": settings.org, "bucket": settings.bucket, "precision": settings.precision})
        self._target = f"{parts.path.rstrip('/')}/api/v2/write?{query}"
        token = settings.token.get_secret_value() if settings.token else ""
        self._headers = {"Content-Type": "text/plain; charset=utf-8", "User-Agent": "roomwatch"}
        if token:
            self._headers["Authorization"] = f"Token {token}"
        self._zipped = {**self._headers, "Content-Encoding": "gzip"}
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[http.client.HTTPConnection] = []

    def post(self, body: bytes) -> None:
        """One write; raises ``Refused`` for a non-2xx answer, OSError or HTTPException when none came."""
        headers = self._zipped if body.startswith(GZIP_MAGIC) else self._headers
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        fresh = conn is None
        if conn is None:
            conn = self._connect()
        try:
            conn.request("POST", self._target, body=body, headers=headers)
            resp = conn.getresponse()
            answer = resp.read()
        except _STALE:
            self._drop(conn)
            if fresh:
                raise
            # Writes are idempotent (same series and time overwrite), so sending again is safe.
            return self.post(body)
        except (OSError, http.client.HTTPException):
            self._drop(conn)
            raise
        if resp.will_close:
            self._drop(conn)
        if not 200 <= resp.status < 300:
            raise Refused(resp.status, resp.reason, answer, {k.lower(): v for k, v in resp.headers.items()})

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            conns, self._open = self._open, []
        for conn in conns:
            conn.close()

    def _connect(self) -> http.client.HTTPConnection:
        conn = (http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout, context=self._tls)
                if self._tls is not None else
                http.client.HTTPConnection(self._host, self._port, timeout=self._timeout))
        self._local.conn = conn
        with self._lock:
            self._open.append(conn)
        return conn

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        self._local.conn = None
        with self._lock:
            if conn in self._open:
                self._open.remove(conn)


def reason(err: Refused) -> str:
    """The server's words for a refusal, short enough for a log line."""
    return (err.body.decode(errors="replace") or err.reason or "").strip()[:300]


def retry_after(err: Refused) -> float:
    """Seconds the server asked us to wait (Retry-After as seconds or a date), capped; 0 if none."""
    value = err.headers.get("retry-after", "")
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
