"""The shipped posture pack: clauses as 《document》 article (no file names), site-policy numbers
said to be ours, summaries render in Chinese with every label, thresholds judged as intended."""

from __future__ import annotations

import re

import pytest

from rules.loader import load_pack
from rules.rule import Rule

PACK = load_pack("posture")
SITE_POLICY = {"av_not_running", "av_signatures_old", "patches_overdue", "security_updates_pending",
               "password_never_expires", "account_unused", "posture_check_unavailable"}


def test_every_check_has_a_rule() -> None:
    metrics = {r.metric for r in PACK}
    assert {"av_installed", "av_running", "av_signature_age_days", "patch_age_days", "usb_storage_allowed",
            "removable_media_mounted", "password_min_length", "password_classes_required",
            "egress_public_connections", "egress_mail_connections", "log_truncated", "log_removed",
            "log_cleared", "software_added", "privileged_unapproved_accounts", "accounts_unused",
            "posture_check_unavailable"} <= metrics


@pytest.mark.parametrize("rule", PACK, ids=lambda r: r.name)
def test_clause_is_document_title_and_article(rule: Rule) -> None:
    assert re.match(r"《[^》]+》\S", rule.clause), rule.clause
    assert ".txt" not in rule.clause and not re.search(r"\b00[0-4]:", rule.clause)


@pytest.mark.parametrize("rule", PACK, ids=lambda r: r.name)
def test_site_policy_numbers_say_so(rule: Rule) -> None:
    text = "".join(rule.description.split())
    english = " ".join(rule.description.split())
    says = "本站策略，非规章规定" in text and "site policy, not regulation" in english
    assert says == (rule.name in SITE_POLICY)


@pytest.mark.parametrize("rule", PACK, ids=lambda r: r.name)
def test_summary_renders(rule: Rule) -> None:
    labels = {"device": "db-01", "product": "clamav", "check": "software", "reason": "no baseline",
              "path": "/var/log/auth.log", "log": "Security"}
    text = rule.render(labels, 2.0, rule.condition)
    assert "{" not in text and re.search(r"[\u4e00-\u9fff]", text)


@pytest.mark.parametrize(("metric", "value", "breached"), [
    ("password_min_length", 7, True), ("password_min_length", 8, False),
    ("password_classes_required", 2, True), ("password_classes_required", 3, False),
    ("av_signature_age_days", 3.5, True), ("av_signature_age_days", 3, False),
    ("patch_age_days", 32, True), ("patch_age_days", 31, False),
    ("egress_public_connections", 1, True), ("egress_public_connections", 0, False),
    ("usb_storage_allowed", 1, True), ("usb_storage_allowed", 0, False),
])
def test_thresholds(metric: str, value: float, breached: bool) -> None:
    rule = next(r for r in PACK if r.metric == metric)
    assert rule.condition.breached(value) is breached
