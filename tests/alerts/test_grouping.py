"""Timeline tables (fake clock) for routing, grouping, dedup and repeat."""

from __future__ import annotations

from pathlib import Path

from monitor.core.model import AlertState, Severity

from .helpers import alert, dispatcher, queued, receivers

URL = "json://127.0.0.1:9/"  # never sent to: these tests read the outbox

NOTIFY = {
    "receivers": [{"name": "duty", "urls": [URL + "duty"]}, {"name": "net", "urls": [URL + "net"]},
                  {"name": "boss", "urls": [URL + "boss"]}],
    "routes": [
        {"receiver": "net", "matchers": ["kind=switch"], "group_by": ["alertname"],
         "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"},
        {"receiver": "boss", "matchers": ["severity=critical"], "continue": True, "group_wait": "0s"},
        {"receiver": "duty", "group_by": ["device"]},
    ],
}


def test_route_defaults_are_alertmanagers() -> None:
    from alerts.config import Route

    r = Route(receiver="x")
    assert (r.group_wait, r.group_interval, r.repeat_interval, r.group_by) == (30.0, 300.0, 14400.0, [])


def test_group_wait_collects_a_burst_into_one_message(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, NOTIFY)
    # (second, what arrives, messages queued then)
    timeline = [
        (0, [alert("sw1", "if_down", kind="switch", ifname="g1")], []),
        (10, [alert("sw1", "if_down", kind="switch", ifname="g2")], []),
        (29, [alert("sw2", "if_down", kind="switch", ifname="g1")], []),
        (30, [], [("net", "firing", "等 3 条")]),
        (40, [alert("sw3", "if_down", kind="switch", ifname="g9")], []),  # within group_interval
        (329, [], []),
        (330, [], [("net", "firing", "等 4 条")]),
        (330 + 4 * 3600 - 1, [], []),
        (330 + 4 * 3600, [], [("net", "firing", "等 4 条")]),  # repeat_interval
    ]
    for second, arriving, expected in timeline:
        d.submit(arriving, float(second))
        got = [(r, s, t[t.index("等"):] if "等" in t else t) for r, s, t in queued(d)]
        assert got == expected, second


def test_continue_sends_critical_to_both_and_ungrouped_per_device(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, NOTIFY)
    d.submit([alert("ups-1", "ups_on_battery", severity=Severity.CRITICAL),
              alert("room1-th")], 0.0)
    assert sorted(receivers(d)) == ["boss"]  # duty waits group_wait 30 s
    d.flush(30.0)
    assert sorted(receivers(d)) == ["duty", "duty"]  # one group per device


def test_dedup_firing_told_once_resolved_told_once(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, {"urls": [URL]})
    timeline = [  # shorthand: every alert alone, at once
        (0, AlertState.PENDING, []),
        (10, AlertState.FIRING, [("default", "firing")]),
        (20, AlertState.FIRING, []),
        (30, AlertState.RESOLVED, [("default", "resolved")]),
        (40, AlertState.RESOLVED, []),
        (50, AlertState.FIRING, [("default", "firing")]),  # a new episode pages again
    ]
    for second, state, expected in timeline:
        d.submit([alert("th", state=state, at=0.0)], float(second))
        assert [(r, s) for r, s, _ in queued(d)] == expected, second


def test_resolved_before_the_group_was_told_is_never_told(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, NOTIFY)
    d.submit([alert("th")], 0.0)
    d.submit([alert("th", state=AlertState.RESOLVED, resolved=5.0)], 5.0)
    d.flush(60.0)
    assert queued(d) == [] and d.state.alerts == {} and d.state.groups == {}


def test_the_group_state_survives_a_restart(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, NOTIFY)
    d.submit([alert("th")], 0.0)
    assert queued(d) == []
    again = dispatcher(tmp_path, NOTIFY)  # the first one is simply abandoned, as after kill -9
    again.flush(29.0)
    assert queued(again) == []
    again.flush(30.0)
    assert receivers(again) == ["duty"]
    third = dispatcher(tmp_path, NOTIFY)
    third.submit([alert("th")], 100.0)
    third.flush(1000.0)
    assert queued(third) == []


def test_after_a_quiet_group_interval_a_new_alert_is_told_at_once_not_at_the_next_tick(
        tmp_path: Path) -> None:
    """The chosen difference from Alertmanager 0.25 (whose group ticks every group_interval from
    its first flush): same alerts, the page is earlier or equal, never later, never more messages."""
    d = dispatcher(tmp_path, {"receivers": [{"name": "duty", "urls": [URL + "duty"]}],
                              "routes": [{"receiver": "duty", "group_by": ["room"], "group_wait": "30s",
                                          "group_interval": "5m", "repeat_interval": "24h"}]})
    # (second, alert arriving, roomwatch's messages then, when Alertmanager would tell it)
    timeline = [
        (0, alert("th-1", room="A"), [], None),
        (30, None, ["firing"], 30),  # group_wait: both tell it at 30
        (3600, alert("ups-1", "ups_on_battery", room="A"), ["firing"], 3630),  # AM: tick 30 + 12 × 300
        (3700, alert("th-2", room="A"), [], None),  # inside group_interval: batched, both wait
        (3900, None, ["firing"], 3930),  # roomwatch: 3600 + 300; AM: its next tick
    ]
    for second, new, expected, alertmanager in timeline:
        if new is not None:
            d.submit([new], float(second))
        d.flush(float(second))
        assert [s for _, s, _ in queued(d)] == expected, second
        assert alertmanager is None or second <= alertmanager
