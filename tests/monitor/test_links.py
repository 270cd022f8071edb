"""Links in the daemon: jobs of their own (no ``up``), labels from the inventory, never delayed
by a hung link, judged by the regulation pack in ``roomwatch check``."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from monitor import check, wiring
from monitor import jobs as jobs_mod
from monitor.config import Settings
from monitor.core import logs
from monitor.core.host import local_name
from monitor.core.model import Reading
from monitor.inventory import Device
from monitor.scheduler import Scheduler, collect_once
from rules.engine import Engine
from rules.loader import load_pack


@pytest.fixture
def web() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path.split("?")[0] == "/ok" else 500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent() -> Iterator[int]:
    """Completes TCP handshakes, never answers a request."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings(*links: dict[str, Any]) -> Settings:
    router = Device(name="wan-router", kind="router", address="192.0.2.1", room="一号机房", level=1,
                    exec={"command": ["true"]})  # type: ignore[arg-type]
    return Settings(devices=[router], links=[{"spacing": 0, **link} for link in links])  # type: ignore[list-item]


def test_link_jobs_have_their_own_name_labels_and_no_up() -> None:
    settings = _settings({"name": "医保专网", "kind": "icmp", "target": "192.0.2.1", "device": "wan-router"},
                         {"name": "互联网", "kind": "http", "target": "https://www.example.com/"})
    jobs = wiring.build_jobs(settings)  # builds only: nothing is polled
    assert [j.device for j in jobs] == ["wan-router", "link:医保专网", "link:互联网"]
    private, web = jobs[1], jobs[2]
    assert private.labels == {"device": "wan-router", "kind": "router", "level": "1", "room": "一号机房",
                              "link": "医保专网", "probe": "icmp"}
    assert web.labels == {"device": local_name(), "link": "互联网", "probe": "http"}
    assert (private.heartbeat, web.heartbeat, jobs[0].heartbeat) == (None, None, "up")
    assert (private.interval, web.interval) == (60.0, 300.0)  # websites: every 5 minutes (000)
    assert web.timeout <= web.interval and web.timeout > settings.links[1].budget
    assert wiring.stale_after(settings) == 900.0  # three website cycles, or alerts would flap


def test_one_hung_link_never_delays_the_others(web: str, silent: int, closed_port: int) -> None:
    settings = _settings(
        {"name": "hung", "kind": "http", "target": f"http://127.0.0.1:{silent}/", "timeout": "1s",
         "count": 1, "interval": "1m"},
        {"name": "site", "kind": "http", "target": f"{web}/ok", "interval": "1m"},
        {"name": "svc", "kind": "tcp", "target": f"127.0.0.1:{silent}", "interval": "1m"},
        {"name": "down", "kind": "tcp", "target": f"127.0.0.1:{closed_port}", "interval": "1m"},
    )
    settings.devices = []
    jobs = wiring.build_jobs(settings)
    batches: list[list[Reading]] = []

    async def main() -> None:
        stop = asyncio.Event()

        def sink(readings: list[Reading]) -> None:
            batches.append(readings)
            if len(batches) == len(jobs):
                stop.set()

        await asyncio.wait_for(Scheduler(jobs, sink, jitter=0.0, rng=random.Random(1)).run(stop), 10)

    asyncio.run(main())
    order = [batch[0].labels["link"] for batch in batches]
    assert order[-1] == "hung" and sorted(order[:-1]) == ["down", "site", "svc"]
    values = {(b[0].labels["link"], r.metric): r.value for b in batches for r in b}
    assert values[("hung", "link_loss_percent")] == 100.0 and ("hung", "link_rtt_ms") not in values
    assert values[("site", "link_loss_percent")] == 0.0 and values[("svc", "link_loss_percent")] == 0.0
    assert values[("down", "link_loss_percent")] == 100.0
    assert not any(r.metric == "up" for b in batches for r in b)


def test_check_shows_links_and_judges_them(web: str, closed_port: int) -> None:
    settings = _settings(
        {"name": "门户网站", "kind": "http", "target": f"{web}/fail", "count": 1},
        {"name": "OA", "kind": "http", "target": f"{web}/ok", "count": 1},
        {"name": "医保专网", "kind": "tcp", "target": f"127.0.0.1:{closed_port}", "device": "wan-router"},
        {"name": "局域网", "kind": "icmp", "target": "127.0.0.1", "count": 2},
    )
    jobs = jobs_mod.build_link_jobs(settings)
    engine = Engine(load_pack("regulation"), stale_after=wiring.stale_after(settings))
    result = asyncio.run(check.run_check(jobs, engine, now=1000.0))
    doc = json.loads(check.to_json(result))
    assert all("device" in r["labels"] for r in doc["readings"])
    fired = {(v["rule"], v["labels"]["link"]) for v in doc["violations"]}
    assert ("website_unavailable", "门户网站") in fired
    assert ("link_unreachable", "医保专网") in fired
    assert not {link for _, link in fired} & {"OA", "局域网"}
    website = next(v for v in doc["violations"] if v["rule"] == "website_unavailable")
    assert website["severity"] == "critical" and website["clause"].startswith("《学籍系统工作调度会讲话》")
    assert "网站 门户网站 不可用" in website["summary"]
    table = check.to_table(result)
    assert "link=医保专网,probe=tcp" in table and "link_rtt_ms" in table


def test_url_secrets_never_reach_the_log(web: str, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://monitor:pa55word@{web.removeprefix('http://')}/ok?token=T0KEN"
    settings = _settings({"name": "门户网站", "kind": "http", "target": url, "count": 1})
    assert {"pa55word", "token=T0KEN"} <= set(wiring.secrets_of(settings))
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logs.setup("debug", wiring.secrets_of(settings))
        jobs = jobs_mod.build_link_jobs(settings)
        [readings] = [asyncio.run(collect_once(job, 0.0)) for job in jobs]
        logging.getLogger("httpx").warning("GET %s failed", url)  # a library that prints the URL
    finally:
        root.handlers[:], root.level = saved
    assert {r.metric: r.value for r in readings}["link_loss_percent"] == 0.0
    err = capsys.readouterr().err
    assert "GET http://monitor:***@127.0.0.1" in err
    assert "HTTP Request" not in err  # httpx's per-request INFO line is kept out of the log
    for secret in ("pa55word", "T0KEN"):
        assert secret not in err
