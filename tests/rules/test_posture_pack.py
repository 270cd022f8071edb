"""The shipped posture pack: a rule for every check, thresholds judged as intended. (Clause form,
site-policy wording and summaries are checked for every shipped pack in test_loader.)"""

from __future__ import annotations

import pytest

from rules.loader import load_pack

PACK = load_pack("posture")


def test_every_check_has_a_rule() -> None:
    metrics = {r.metric for r in PACK}
    assert {"av_installed", "av_running", "av_signature_age_days", "patch_age_days", "usb_storage_allowed",
            "removable_media_mounted", "password_min_length", "password_classes_required",
            "egress_public_connections", "egress_mail_connections", "log_truncated", "log_removed",
            "log_cleared", "software_added", "privileged_unapproved_accounts", "accounts_unused",
            "posture_check_unavailable"} <= metrics


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
