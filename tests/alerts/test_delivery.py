"""Delivery against local HTTP receivers: platform payloads, retries, fallback, rate limits, leaks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import urllib.parse
from pathlib import Path

import pytest

from alerts.notifiers.apprise import AppriseNotifier
from monitor.core.errors import NotifyError
from monitor.core.model import AlertState

from .helpers import alert, dispatcher

SECRET = "SECc0ffee0123456789abcdefVerySecret"


def _redirect(notifier: AppriseNotifier, port: int, path: str) -> None:
    plugin = notifier.plugin(notifier.targets[0])
    base = f"http://127.0.0.1:{port}/{path}"
    plugin.notify_url = base + {"dingtalk": "?access_token={token}", "wecom": "?key={key}",
                                "feishu": "/{token}/"}[path]
    if path == "wecom":  # the WeCom plugin formats its URL once, when constructed
        plugin.api_url = plugin.notify_url.format(key=plugin.key)


def test_dingtalk_signed_robot_request_is_as_documented(receiver) -> None:  # type: ignore[no-untyped-def]
    n = AppriseNotifier([f"dingtalk://{SECRET}@tok123abc/"])
    _redirect(n, receiver.port, "dingtalk")
    n.send(n.targets[0], "标题", "正文", AlertState.FIRING)
    [req] = receiver.requests
    path, _, query = req["path"].partition("?")
    params = urllib.parse.parse_qs(query)  # decodes exactly once, as DingTalk's server does
    assert path == "/dingtalk" and params["access_token"] == ["tok123abc"]
    ts = params["timestamp"][0]
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert params["sign"] == [expected]  # apprise alone sends it URL-encoded twice
    assert req["json"] == {"msgtype": "text", "at": {"atMobiles": [], "isAtAll": False},
                           "text": {"content": "标题\r\n正文"}}


def test_wecom_bot_request_is_as_documented(receiver) -> None:  # type: ignore[no-untyped-def]
    n = AppriseNotifier(["wecombot://botkey123/"])
    _redirect(n, receiver.port, "wecom")
    n.send(n.targets[0], "标题", "正文", AlertState.FIRING)
    [req] = receiver.requests
    assert req["path"] == "/wecom?key=botkey123"
    assert req["json"]["msgtype"] == "text" and "正文" in req["json"]["text"]["content"]


def test_feishu_bot_request_is_as_documented(receiver) -> None:  # type: ignore[no-untyped-def]
    n = AppriseNotifier(["feishu://hooktoken123/"])
    _redirect(n, receiver.port, "feishu")
    n.send(n.targets[0], "标题", "正文", AlertState.RESOLVED)
    [req] = receiver.requests
    assert req["path"] == "/feishu/hooktoken123/"
    assert req["json"]["msg_type"] == "text" and "正文" in req["json"]["content"]["text"]


def test_form_webhook_for_sms_platforms(receiver) -> None:  # type: ignore[no-untyped-def]
    n = AppriseNotifier([f"form://127.0.0.1:{receiver.port}/sms?:mobile=13800000001"])
    n.send(n.targets[0], "", "【告警】ups-1 市电中断 0 02:14", AlertState.FIRING)
    [req] = receiver.requests
    assert b"mobile" in req["raw"] and b"ups-1" in req["raw"]


@pytest.mark.parametrize("url", [
    f"json://duty:{SECRET}@127.0.0.1:1/hook?token={SECRET}",
    f"form://duty:{SECRET}@127.0.0.1:1/hook",
    f"dingtalk://{SECRET}@tok{SECRET}/",
    f"wecombot://{SECRET}/",
    f"feishu://{SECRET}/",
])
def test_no_notifier_error_or_log_line_leaks_a_secret(url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Every channel, failing: the error and our log lines never carry the URL's secret."""
    caplog.set_level(logging.DEBUG)
    n = AppriseNotifier([url])
    plugin = n.plugin(n.targets[0])
    if hasattr(plugin, "notify_url"):
        plugin.notify_url = "http://127.0.0.1:1/x?{token}{key}".replace("{token}{key}", "t")
        if hasattr(plugin, "api_url"):
            plugin.api_url = plugin.notify_url
    with pytest.raises(NotifyError) as err:
        n.send(n.targets[0], "t", "b", AlertState.FIRING)
    assert SECRET not in str(err.value) and SECRET not in n.names[n.targets[0]]
    own = [r.getMessage() for r in caplog.records if r.name.startswith(("alerts", "monitor"))]
    assert not any(SECRET in m for m in own)


def test_bad_receiver_url_is_named_by_place_not_text(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as err:
        dispatcher(tmp_path, {"receivers": [{"name": "a", "urls": ["json://127.0.0.1:1/"]},
                                            {"name": "b", "urls": [f"nosuch://{SECRET}@h"]}],
                              "routes": [{"receiver": "a"}]})
    assert "notify.receivers[1].urls[0]" in str(err.value) and SECRET not in str(err.value)


def test_receiver_down_for_five_minutes_then_everything_arrives_once(receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = dispatcher(tmp_path, {"urls": [receiver.url], "retry_initial": "5s", "retry_max": "1m"})
    receiver.status = 500
    now = 0.0
    for i in range(5):
        d.submit([alert(f"th-{i}", at=now)], now)
    while now < 300:  # the daemon's one-second tick, for five minutes
        asyncio.run(d.deliver(now))
        now += 1
    failed = len(receiver.requests)
    assert 5 * 8 <= failed <= 5 * 12  # backoff 5, 10, 20, 40, 60, 60… not one try a second
    receiver.status = 200
    while now < 400:
        asyncio.run(d.deliver(now))
        now += 1
    got = sorted(b["title"].split(" ")[1] for b in receiver.bodies())
    assert got == [f"th-{i}" for i in range(5)] and d.outbox.pending() == 0


def test_a_failing_channel_falls_back_and_the_original_still_arrives(receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dead = f"json://127.0.0.1:{receiver.port}/dead"
    d = dispatcher(tmp_path, {
        "receivers": [{"name": "im", "urls": [dead], "fallback": "sms", "fallback_after": 2},
                      {"name": "sms", "urls": [f"json://127.0.0.1:{receiver.port}/sms"], "format": "sms"}],
        "routes": [{"receiver": "im", "group_wait": "0s"}], "retry_initial": "10s"})
    receiver.status = 500
    d.submit([alert("ups-1")], 0.0)
    asyncio.run(d.deliver(0.0))
    asyncio.run(d.deliver(10.0))  # second failure: copied to sms
    receiver.status = 200
    asyncio.run(d.deliver(10.0))
    assert [r["path"] for r in receiver.requests if r["status"] == 200] == ["/sms"]
    asyncio.run(d.deliver(100.0))
    assert [r["path"] for r in receiver.requests if r["status"] == 200] == ["/sms", "/dead"]


def test_rate_limit_groups_instead_of_dropping(receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = dispatcher(tmp_path, {
        "receivers": [{"name": "robot", "urls": [receiver.url], "rate_limit": 3}],
        "routes": [{"receiver": "robot", "group_by": ["device"], "group_wait": "0s"}]})
    d.submit([alert(f"th-{i}") for i in range(10)], 0.0)
    asyncio.run(d.deliver(0.0))
    titles = [b["title"] for b in receiver.bodies()]
    assert len(titles) == 3 and titles[2] == "[合并] 8 条通知"
    assert all(f"th-{i}" in receiver.bodies()[2]["message"] for i in range(2, 10))
    d.submit([alert("late")], 1.0)
    asyncio.run(d.deliver(1.0))
    assert len(receiver.bodies()) == 3  # the minute is used up: it waits
    asyncio.run(d.deliver(61.0))
    assert len(receiver.bodies()) == 4 and d.outbox.pending() == 0


def test_heartbeat_pings_on_schedule(receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = dispatcher(tmp_path, {"urls": [receiver.url], "heartbeat_url": f"http://127.0.0.1:{receiver.port}/hb",
                              "heartbeat_interval": "5m"})
    for now in (0.0, 1.0, 299.0, 300.0):
        asyncio.run(d.deliver(now))
    assert receiver.gets == ["/hb", "/hb"]
