"""What the InfluxDB output puts on the wire and reads back: request bodies, one write request on
a kept-alive connection, refusal reasons, Retry-After."""

from __future__ import annotations

import email.utils
import gzip
import http.client
import ssl
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
    return gzipped(body) if compress else body


def gzipped(body: bytes) -> bytes:
    """``body`` compressed as the output sends and queues it."""
    # Level 1: level 9 (the client library's) costs more CPU than the whole encoding, for ~20 % less size.
    return gzip.compress(body, compresslevel=1)


def lines_of(lines: list[bytes] | None, body: bytes) -> list[bytes]:
    """The lines of a batch: as given, or unpacked from its body (a replayed or failed batch)."""
    if lines is not None:
        return lines
    text = gzip.decompress(body) if body.startswith(GZIP_MAGIC) else body
    return [line for line in text.split(b"\n") if line]  # bodies end with a newline


class Poster:
    """Posts bodies to the v2 write API on kept-alive connections, one per lane. A request is sent
    on one lane and its answer read later, so one thread keeps two requests in flight and
    encodes the next batch meanwhile: no thread hand-offs, no lock on the way (the sender
    thread is the only user)."""

    def __init__(self, settings: InfluxSettings, lanes: int = 1) -> None:
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
        self._conns: list[http.client.HTTPConnection | None] = [None] * lanes
        self._reused = [False] * lanes  # whether the lane's request went on a kept-alive connection

    def post(self, body: bytes, lane: int = 0) -> None:
        """One write, waited for; raises ``Refused`` for a non-2xx answer, OSError or
        HTTPException when none came."""
        self.send(body, lane)
        self.answer(body, lane)

    def send(self, body: bytes, lane: int) -> None:
        """Send one write on ``lane`` without waiting for its answer (``answer`` reads it)."""
        headers = self._zipped if body.startswith(GZIP_MAGIC) else self._headers
        conn = self._conns[lane]
        self._reused[lane] = conn is not None
        if conn is None:
            conn = self._conns[lane] = self._connect()
        try:
            conn.request("POST", self._target, body=body, headers=headers)
        except _STALE:
            self._drop(lane)
            if not self._reused[lane]:
                raise
            self.send(body, lane)  # the server had closed the kept-alive connection: once more afresh
        except (OSError, http.client.HTTPException):
            self._drop(lane)
            raise

    def answer(self, body: bytes, lane: int) -> None:
        """Read the answer to what ``send`` sent on ``lane`` (``body``, to send again if the
        kept-alive connection turns out to have been closed); raises as ``post`` does."""
        conn = self._conns[lane]
        if conn is None:
            raise ConnectionResetError("no connection")
        try:
            resp = conn.getresponse()
            text = resp.read()
        except _STALE:
            self._drop(lane)
            if not self._reused[lane]:
                raise
            # Writes are idempotent (same series and time overwrite), so sending again is safe.
            self.post(body, lane)
            return
        except (OSError, http.client.HTTPException):
            self._drop(lane)
            raise
        if resp.will_close:
            self._drop(lane)
        if not 200 <= resp.status < 300:
            raise Refused(resp.status, resp.reason, text, {k.lower(): v for k, v in resp.headers.items()})

    def close(self) -> None:
        """Close every lane's connection."""
        for lane in range(len(self._conns)):
            self._drop(lane)

    def _connect(self) -> http.client.HTTPConnection:
        if self._tls is not None:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout,
                                               context=self._tls)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def _drop(self, lane: int) -> None:
        conn, self._conns[lane] = self._conns[lane], None
        if conn is not None:
            conn.close()


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
