"""The alert_text points that let a numbers-only store give back whole alert transitions, and
the report sources' errors (no secret in them)."""

from __future__ import annotations

import pytest

from monitor.core.errors import StoreError
from monitor.core.model import Alert, AlertState, Severity
from monitor.store.alert_text import Point, alert_text_lines, rebuild
from monitor.store.influxql_read import InfluxQLSource
from monitor.store.settings import InfluxSettings
from monitor.store.victoria_read import VictoriaSource
from tests.procs import free_port

BASE = 1_763_222_400.0
LABELS = {"device": "sw 1", "site": "总部"}
RESOLVED = Alert(rule="device_down", labels=LABELS, state=AlertState.RESOLVED, severity=Severity.CRITICAL,
                 value=0.0, active_at=BASE + 0.25, fired_at=BASE + 60.5, resolved_at=BASE + 600,
                 summary="sw 1 down, 交换机", clause="《信息中心机房管理制度》五、设备管理制度 第4条")


def test_a_transition_line_carries_the_strings_as_tags_and_the_times_as_numbers() -> None:
    [line] = alert_text_lines([RESOLVED])
    assert line == (r"alert_text,clause=《信息中心机房管理制度》五、设备管理制度\ 第4条,"
                    f"fingerprint={RESOLVED.fingerprint},state=resolved,summary=sw\\ 1\\ down\\,\\ 交换机 "
                    f"value={BASE + 0.25!r},fired_at={BASE + 60.5!r},resolved_at={BASE + 600.0!r} "
                    f"{round((BASE + 600) * 1000)}")


@pytest.mark.parametrize(("texts", "want"), [
    # Joined with its alert_text point: every time and string comes back.
    ([({"fingerprint": RESOLVED.fingerprint, "state": "resolved", "summary": RESOLVED.summary,
        "clause": RESOLVED.clause}, BASE + 600,
       {"value": BASE + 0.25, "fired_at": BASE + 60.5, "resolved_at": BASE + 600})], RESOLVED),
    # Written by an older roomwatch (no alert_text): only the transition's own time is known.
    ([], Alert(rule="device_down", labels=LABELS, state=AlertState.RESOLVED, severity=Severity.CRITICAL,
               value=0.0, active_at=BASE + 600, resolved_at=BASE + 600)),
])
def test_rebuild(texts: list[Point], want: Alert) -> None:
    point = ({**LABELS, "rule": "device_down", "severity": "critical", "state": "resolved"}, BASE + 600,
             {"value": 0.0})
    assert rebuild([point], texts, where="test") == [want]


def test_a_point_with_an_unknown_state_is_skipped() -> None:
    point = ({"rule": "r", "severity": "critical", "state": "weird"}, BASE, {"value": 1.0})
    assert rebuild([point], [], where="test") == []


@pytest.mark.parametrize("kind", [VictoriaSource, InfluxQLSource])
def test_errors_name_the_server_but_no_secret(kind: type) -> None:
    settings = InfluxSettings.model_validate({"url": f"http://u:url-secret@127.0.0.1:{free_port()}",
                                              "token": "reader:token-secret", "timeout": "2s"})
    source = kind(settings)
    with pytest.raises(StoreError) as err:
        source.query("up", BASE, BASE + 3600)
    assert "127.0.0.1" in str(err.value) and err.value.retryable
    assert "secret" not in str(err.value)
    with pytest.raises(StoreError, match="read-only"):
        source.write([])
