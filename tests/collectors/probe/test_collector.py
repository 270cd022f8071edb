"""Link probes against loopback: ICMP echo, TCP connect and HTTP GET, each bounded in time."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from collectors.probe.collector import LinkCollector
from collectors.probe.options import Link
from monitor.core.errors import CollectError
from monitor.core.model import Reading


def _link(kind: str, target: str, **extra: Any) -> Link:
    return Link(name=f"t-{kind}", kind=kind, target=target, spacing=0, **extra)  # type: ignore[arg-type]


def _probe(link: Link) -> dict[str, float]:
    async def run() -> list[Reading]:
        collector = LinkCollector(link)
        try:
            return await collector.collect(100.0)
        finally:
            await collector.close()

    readings = asyncio.run(run())
    assert all(r.ts == 100.0 and r.labels == {} for r in readings)
    return {r.metric: r.value for r in readings}


@pytest.mark.parametrize("target", ["127.0.0.1", "::1", "localhost"])
def test_icmp_echo_to_loopback(target: str) -> None:
    try:
        got = _probe(_link("icmp", target, timeout="1s"))
    except CollectError as err:  # no ICMP socket of any kind: nothing to measure here
        pytest.skip(str(err))
    assert got["link_loss_percent"] == 0.0
    assert 0.0 < got["link_rtt_ms"] < 1000.0


def test_tcp_connect_to_a_listener(silent: int) -> None:
    got = _probe(_link("tcp", f"127.0.0.1:{silent}"))
    assert got["link_loss_percent"] == 0.0
    assert 0.0 < got["link_rtt_ms"] < 1000.0


def test_tcp_closed_port_is_full_loss_without_rtt(closed_port: int,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="collectors.probe.collector"):
        got = _probe(_link("tcp", f"127.0.0.1:{closed_port}"))
    assert got == {"link_loss_percent": 100.0}
    assert "Connection refused" in caplog.text


def test_http_200_redirect_and_expected_status(web: str) -> None:
    ok = _probe(_link("http", f"{web}/ok"))
    assert ok["link_loss_percent"] == 0.0 and ok["link_rtt_ms"] > 0
    assert _probe(_link("http", f"{web}/moved"))["link_loss_percent"] == 0.0
    assert _probe(_link("http", f"{web}/fail", expect_status=[500]))["link_loss_percent"] == 0.0
    assert _probe(_link("http", f"{web}/ok", expect_status=[204])) == {"link_loss_percent": 100.0}


def test_http_500_and_redirect_loop_fail(web: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="collectors.probe.collector"):
        assert _probe(_link("http", f"{web}/fail")) == {"link_loss_percent": 100.0}
        assert _probe(_link("http", f"{web}/loop")) == {"link_loss_percent": 100.0}
    assert "status 500" in caplog.text and "more than 5 redirects" in caplog.text


def test_https_certificate_is_checked_unless_told_not_to(tls_web: str,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="collectors.probe.collector"):
        assert _probe(_link("http", tls_web, count=1)) == {"link_loss_percent": 100.0}
    assert "TLS certificate not trusted" in caplog.text
    assert _probe(_link("http", tls_web, count=1, verify_tls=False))["link_loss_percent"] == 0.0


def test_http_receiver_fixture_status(receiver: Any) -> None:
    url = f"http://127.0.0.1:{receiver.port}/health"
    assert _probe(_link("http", url, count=1))["link_loss_percent"] == 0.0
    receiver.status = 503
    assert _probe(_link("http", url, count=1)) == {"link_loss_percent": 100.0}
    assert receiver.gets == ["/health", "/health"]


def test_http_server_that_never_answers_times_out_on_time(silent: int) -> None:
    link = _link("http", f"http://127.0.0.1:{silent}/", timeout="300ms", count=2)
    start = time.monotonic()
    assert _probe(link) == {"link_loss_percent": 100.0}
    took = time.monotonic() - start
    assert took < link.budget + 0.5, took


def test_partial_loss_is_a_percentage(web: str) -> None:
    got = _probe(_link("http", f"{web}/flaky", count=3))  # 200, 500, 200
    assert got["link_loss_percent"] == pytest.approx(100 / 3)
    assert got["link_rtt_ms"] > 0


def test_a_token_in_the_url_never_reaches_logs_or_readings(closed_port: int,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://monitor:pa55word@127.0.0.1:{closed_port}/health?token=T0KEN#frag"
    with caplog.at_level(logging.DEBUG):
        got = _probe(_link("http", url))
    assert got == {"link_loss_percent": 100.0}
    assert f"http://127.0.0.1:{closed_port}/health" in caplog.text
    for secret in ("pa55word", "T0KEN", "monitor:"):
        assert secret not in caplog.text


def test_a_warning_when_a_link_goes_down_and_a_note_when_it_is_back(
        receiver: Any, caplog: pytest.LogCaptureFixture) -> None:
    link = _link("http", f"http://127.0.0.1:{receiver.port}/", count=1)

    async def run() -> None:
        collector = LinkCollector(link)
        for status in (500, 500, 200):
            receiver.status = status
            await collector.collect(0.0)
        await collector.close()

    with caplog.at_level(logging.INFO, logger="collectors.probe.collector"):
        asyncio.run(run())
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    assert "status 500" in caplog.records[0].getMessage()
    assert "reachable again" in caplog.records[1].getMessage()
