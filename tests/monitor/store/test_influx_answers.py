"""How the InfluxDB output reads each answer, against a scripted HTTP server on loopback.

VictoriaMetrics accepts nearly everything, so the refusals (400, 401, 413, 429) come from a
small real HTTP server that answers what each test scripts.
"""

from __future__ import annotations

import gzip
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from monitor.core.model import Reading, SeriesTable
from monitor.store.influx import InfluxOutput
from monitor.store.settings import InfluxSettings
from tests.procs import free_port

TOKEN = "s3cr3t-token-value"
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Influx:
    """Records every write (its lines, time, answer); ``script`` decides each answer."""

    port: int = 0
    script: Callable[[int, list[str]], Answer] = lambda n, lines: (204, {}, b"")
    requests: list[tuple[float, list[str], int, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: Callable[[list[str]], float] = lambda lines: 0.0  # seconds before these are answered
    answered: dict[int, float] = field(default_factory=dict)  # request number -> when answered
    paths: list[str] = field(default_factory=list)  # each request's path and query
    ports: list[int] = field(default_factory=list)  # each request's client port: one per connection
    drop_idle: bool = False  # close each connection after its answer without saying so (an idle timeout)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def accepted(self) -> list[str]:
        with self.lock:
            return [line for _, lines, status, _ in self.requests if status < 300 for line in lines]


@pytest.fixture
def influx() -> Iterator[Influx]:
    state = Influx()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # connections stay open, as real servers keep them

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            lines = raw.decode().splitlines()  # a body ends with a newline, as Telegraf's do
            with state.lock:
                n = len(state.requests)
                status, headers, body = state.script(n, lines)
                state.requests.append((time.monotonic(), lines, status, dict(self.headers)))
                state.paths.append(self.path)
                state.ports.append(self.client_address[1])
            time.sleep(state.delay(lines))
            state.answered[n] = time.monotonic()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = state.drop_idle

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def output(url: str, tmp_path: Path, **kw: object) -> InfluxOutput:
    settings = InfluxSettings.model_validate({"url": url, "org": "it", "bucket": "roomwatch", "token": TOKEN,
                                              "flush_interval": "20ms", "timeout": "2s", **kw})
    return InfluxOutput(settings, tmp_path / "queue.db", first_backoff=0.05)


def points(n: int, metric: str = "up", start: int = 0) -> list[Reading]:
    return [Reading(metric, 1.0, {"device": f"d{i}"}, 1_700_000_000.0 + i) for i in range(start, start + n)]


def wait_for(cond: Callable[[], bool], deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while not cond():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.01)


def test_writes_carry_token_bucket_and_precision_and_gzip_only_when_asked(
        influx: Influx, tmp_path: Path) -> None:
    for compress in (False, True):
        out = output(influx.url, tmp_path, gzip=compress)
        out.write(points(3))
        out.close()
    for (_, lines, status, headers), path, compress in zip(influx.requests, influx.paths, (False, True),
                                                            strict=True):
        assert status == 204 and lines == ["up,device=d0 value=1.0 1700000000000",
                                           "up,device=d1 value=1.0 1700000001000",
                                           "up,device=d2 value=1.0 1700000002000"]
        assert headers.get("Content-Encoding") == ("gzip" if compress else None)
        assert headers["Authorization"] == f"Token {TOKEN}"
        assert path == "/api/v2/write?org=it&bucket=roomwatch&precision=ms"


@pytest.mark.parametrize("drop_idle", [False, True])
def test_connections_are_kept_alive_and_one_the_server_closed_is_reopened_without_a_double_write(
        influx: Influx, tmp_path: Path, caplog: pytest.LogCaptureFixture, drop_idle: bool) -> None:
    influx.drop_idle = drop_idle
    out = output(influx.url, tmp_path, batch_size=3)
    with caplog.at_level(logging.WARNING):
        for i in range(4):  # one batch at a time: each finds a poster whose connection was used
            out.write(points(3, start=i * 3))
            wait_for(lambda n=(i + 1) * 3: out.stats()["sent"] == n)
        out.close()
    assert len(influx.requests) == 4 and len(influx.accepted()) == 12 and not caplog.records
    # Kept alive: at most one connection per poster thread. Dropped: each write on a new one, and
    # at least two of the four found their thread's old connection closed and tried once more.
    assert len(set(influx.ports)) == 4 if drop_idle else len(set(influx.ports)) <= 2


def test_bad_points_are_dropped_and_each_reason_logged_once(
        influx: Influx, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    reason = b'{"code":"invalid","message":"partial write: field type conflict on bad_metric"}'
    influx.script = lambda n, lines: (400, {}, reason) if "bad_metric" in lines[0] else (204, {}, b"")
    out = output(influx.url, tmp_path, batch_size=5)
    with caplog.at_level(logging.WARNING, logger="monitor.store.influx"):
        for i in range(3):
            out.write(points(5, "bad_metric", start=i * 10))
            out.write(points(5, "up", start=i * 10))
            out.flush()
        out.close()
    assert out.stats() == {"sent": 15, "rejected": 15, "queued": 0, "dropped": 0}
    assert len(influx.accepted()) == 15
    told = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert len(told) == 1 and "field type conflict" in told[0].getMessage()


def test_too_large_batches_are_split_until_the_server_takes_them(influx: Influx, tmp_path: Path) -> None:
    influx.script = lambda n, lines: (413, {}, b"request too large") if len(lines) > 7 else (204, {}, b"")
    out = output(influx.url, tmp_path, batch_size=30)
    out.write(points(30))
    out.close()
    accepted = influx.accepted()
    assert accepted == [f"up,device=d{i} value=1.0 {1_700_000_000_000 + i * 1000}" for i in range(30)]
    assert out.stats()["sent"] == 30


def test_retry_after_is_honoured_and_nothing_is_lost_or_doubled(influx: Influx, tmp_path: Path) -> None:
    influx.script = lambda n, lines: ((429, {"Retry-After": "1"}, b"slow down") if n == 0 else
                                      (503, {}, b"") if n == 1 else (204, {}, b""))
    out = output(influx.url, tmp_path)
    out.write(points(10))
    wait_for(lambda: out.stats()["sent"] == 10)
    out.close()
    times = [t for t, *_ in influx.requests]
    assert times[1] - times[0] >= 0.9  # Retry-After: 1 outweighs the 50 ms backoff
    assert sorted(influx.accepted()) == sorted(set(influx.accepted())) and len(influx.accepted()) == 10


def test_two_requests_in_flight_and_a_failed_one_is_replayed_before_newer_points(
        influx: Influx, tmp_path: Path) -> None:
    first = "up,device=d0 value=1.0 1700000000000"
    tries: list[int] = []  # request numbers of the first batch: it fails once, then goes through

    def script(n: int, lines: list[str]) -> Answer:
        if lines[0] != first:
            return 204, {}, b""
        tries.append(n)
        return (503, {}, b"") if len(tries) == 1 else (204, {}, b"")

    influx.script = script
    influx.delay = lambda lines: 0.5 if lines[0] == first else 0.0  # the first batch's answer is slow
    out = output(influx.url, tmp_path, batch_size=5)
    out.write(points(20))
    out.flush()
    wait_for(lambda: out.stats()["sent"] == 20)
    out.close()
    second = next(t for t, lines, *_ in influx.requests if lines[0].startswith("up,device=d5 "))
    assert second < influx.answered[tries[0]]  # the second batch was sent before the first's answer
    # The second batch went through while the first was out; the first, once failed, went to the
    # durable queue, and what was written after it waited behind it there.
    expected = [f"up,device=d{i} value=1.0 {1_700_000_000_000 + i * 1000}" for i in (*range(5, 10),
                *range(5), *range(10, 20))]
    assert influx.accepted() == expected and out.stats()["queued"] == 0


def test_a_refused_token_is_shouted_points_kept_until_fixed_and_never_printed(
        influx: Influx, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fixed = threading.Event()
    refused: Answer = (401, {}, b'{"message":"unauthorized"}')
    influx.script = lambda n, lines: (204, {}, b"") if fixed.is_set() else refused
    out = output(influx.url, tmp_path)
    with caplog.at_level(logging.INFO):
        out.write(points(8))
        wait_for(lambda: len(influx.requests) >= 2)
        assert out.stats()["queued"] == 8 and out.stats()["rejected"] == 0
        fixed.set()
        wait_for(lambda: out.stats()["sent"] == 8)
        out.close()
    shouts = [r for r in caplog.records if r.levelno == logging.ERROR and "token" in r.getMessage()]
    assert shouts and "401" in shouts[0].getMessage()
    assert TOKEN not in caplog.text
    assert len(influx.accepted()) == 8


def test_a_full_queue_drops_the_oldest_counts_them_and_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    out = output(down, tmp_path, batch_size=500, queue_size=1000)
    with caplog.at_level(logging.ERROR):
        for i in range(6):
            out.write(points(500, start=i * 500))
        out.close()
    assert out.stats() == {"sent": 0, "rejected": 0, "queued": 1000, "dropped": 2000}
    assert "QUEUE FULL" in caplog.text
    again = output(down, tmp_path, batch_size=500, queue_size=1000)
    assert again.stats()["dropped"] == 2000  # the count survives a restart
    again.close()


def test_a_reading_that_cannot_be_encoded_costs_itself_and_the_output_runs_on(
        influx: Influx, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    table = SeriesTable({"device": "d0"})
    good = [table.reading("up", 1.0, {}, 1_700_000_000.0)]
    not_text = table.reading("up", 1.0, {"slot": 7}, 1_700_000_001.0)  # type: ignore[dict-item]
    no_time = table.reading("up", 1.0, {"slot": "1"}, math.nan)
    no_series = Reading("up", 1.0, {"device": 8}, 1_700_000_002.0)  # type: ignore[dict-item]
    out = output(influx.url, tmp_path)
    with caplog.at_level(logging.WARNING):
        out.write([*good, not_text, no_time])  # one write: its good reading still goes
        out.write([no_series])
        out.write(points(3, start=5))  # and the output's thread is alive for the next
        out.flush()
        wait_for(lambda: out.stats()["sent"] == 4)
        out.close()
    later = [f"up,device=d{i} value=1.0 {1_700_000_000_000 + i * 1000}" for i in range(5, 8)]
    assert influx.accepted() == ["up,device=d0 value=1.0 1700000000000", *later]
    warned = [r.getMessage() for r in caplog.records if "cannot be written" in r.getMessage()]
    assert warned == ["influx: a up reading cannot be written (AttributeError); such points are skipped"]
