"""Messages in English (``[notify] lang = "en"`` or a receiver's ``lang``): the rule's English
summary, English words, and each cited document's English name beside its Chinese title."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from alerts.message import render
from monitor.core.clauses import gloss
from monitor.core.model import Alert, AlertState
from rules.engine import Engine
from rules.loader import load_pack
from rules.rule import Rule, step
from tests.alerts.helpers import dispatcher

LABELS = {"device": "room1-th", "room": "一号机房", "sensor": "north", "kind": "sensor"}


def _rule(name: str) -> Rule:
    return next(r for r in load_pack("regulation") if r.name == name)


def _fired(name: str, value: float, labels: dict[str, str] = LABELS) -> Alert:
    rule = _rule(name)
    eff = rule.effective(labels)
    assert eff is not None
    alert = step(None, value, 1_764_000_000.0, rule=rule, labels=labels, eff=eff, ignore_for=True)
    assert alert is not None and alert.state is AlertState.FIRING
    return alert


def test_an_english_message_says_the_rules_english_summary_and_glosses_the_clause() -> None:
    alert = _fired("room_temperature", 29.04)
    title, body = render(alert, "en")
    assert title.startswith("[FIRING]") and "room1-th" in title
    assert alert.summary_en.removeprefix("room1-th ").strip() in title
    assert ("Clause: 《信息中心机房管理制度》(Information Centre Machine-Room Rules) 四、环境管理制度 第5条"
            in body)
    assert "机房温度" not in title + body  # the zh summary is not what an English reader gets
    zh_title, zh_body = render(alert, "zh")
    assert "机房温度" in zh_title and "Information Centre" not in zh_body
    assert "依据: 《信息中心机房管理制度》四、环境管理制度 第5条" in zh_body


def test_the_resolved_message_keeps_english() -> None:
    resolved = replace(_fired("room_temperature", 29.5), state=AlertState.RESOLVED,
                       resolved_at=1_764_000_600.0)
    title, body = render(resolved, "en")
    assert title.startswith("[RESOLVED]") and "Resolved:" in body and "机房温度" not in title + body


def test_an_alert_kept_from_before_english_summaries_falls_back_to_the_stored_one() -> None:
    # Engine state written by an older roomwatch has no English summary: the message still goes.
    old = replace(_fired("room_temperature", 29.5), summary_en="")
    title, _body = render(old, "en")
    assert "机房温度" in title and title.startswith("[FIRING]")


def test_the_engine_and_the_message_agree_on_the_english_summary() -> None:
    alert = _fired("ups_on_battery", 1.0, {"device": "ups-1", "kind": "ups", "room": "一号机房"})
    engine = Engine([_rule("ups_on_battery")])
    assert alert.summary_en == engine.summary(alert, "en") != alert.summary


def test_notify_lang_en_reaches_the_receiver_in_english(receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The real pipeline: [notify] lang = "en", the outbox, apprise posting to a local receiver.
    d = dispatcher(tmp_path, {"lang": "en", "urls": [receiver.url]})
    alert = _fired("room_temperature", 29.5)
    assert d.submit([alert], alert.active_at) == 1
    assert asyncio.run(d.deliver(alert.active_at)) == 1
    [body] = receiver.bodies()
    assert body["title"].startswith("[FIRING]")
    assert alert.summary_en.removeprefix("room1-th ") in body["title"]
    assert "(Information Centre Machine-Room Rules)" in body["message"]
    assert "机房温度" not in body["title"] + body["message"]


def test_gloss_leaves_a_sites_own_document_as_it_is() -> None:
    assert gloss("《本院机房规定》第3条") == "《本院机房规定》第3条"
    assert gloss("《数据备份工作制度》第2条；《外网管理制度》第6条") == (
        "《数据备份工作制度》(Data Backup Rules) 第2条；《外网管理制度》(Internet Access Rules) 第6条")
