"""Receiver kinds in the config: tables per kind, +86 numbers, people texted by name, the on-call
person's phone, test-notify per kind — and every config problem worded with where it is."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from alerts.channels import from_settings
from alerts.config import NotifySettings
from alerts.notifiers.kinds import KINDS, sample
from alerts.notifiers.sms import normalize_phone
from monitor import sample as config_sample
from monitor.commands import test_notify
from monitor.config import describe
from tests.alerts.notifiers.helpers import aliyun_receiver, tencent_receiver
from tests.alerts.notifiers.providers import ALIYUN_ID, ALIYUN_SECRET, TENCENT_ID, TENCENT_KEY, Provider


@pytest.mark.parametrize(("text", "number"), [
    ("13800000000", "+8613800000000"), ("+8613800000000", "+8613800000000"),
    ("8613800000000", "+8613800000000"), ("+86 138 0000 0000", "+8613800000000"),
    ("+86-138-0000-0000", "+8613800000000"), ("008619912345678", "+8619912345678")])
def test_mainland_mobile_numbers_are_normalised(text: str, number: str) -> None:
    assert normalize_phone(text) == number


@pytest.mark.parametrize("text", ["12800000000", "1380000000", "+85261234567", "010-12345678", ""])
def test_other_numbers_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a mainland China mobile number"):
        normalize_phone(text)


def _problems(notify: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        NotifySettings.model_validate(notify)
    return describe(caught.value)


def test_kind_table_numbers_and_people_problems_name_their_place() -> None:
    gammu = {"smsdrc": "/etc/gammu-smsdrc"}
    assert _problems({"receivers": [{"name": "a", "kind": "gammu", "numbers": ["13800000000"]}]}) == [
        "receivers[0]: kind = 'gammu' needs a [gammu] table and no other kind's (found: none)"]
    assert _problems({"receivers": [{"name": "a", "kind": "gammu", "numbers": ["12800000000"],
                                     "gammu": gammu}]}) == [
        "receivers[0]: numbers: '12800000000' is not a mainland China mobile number (+86 1[3-9]xxxxxxxxx)"]
    assert _problems({"receivers": [{"name": "a", "urls": ["json://127.0.0.1:9/"], "gammu": gammu}]}) == [
        "receivers[0]: gammu: only for SMS kinds; set kind"]
    problems = _problems({"receivers": [{"name": "a", "kind": "gammu", "numbers": ["王五", "张三"],
                                         "gammu": gammu}],
                          "oncall": {"people": [{"name": "张三", "urls": ["json://127.0.0.1:9/"]}]}})
    assert problems == [
        "receivers[0].numbers[0]: '王五' is neither a +86 mobile number nor a person in "
        "[notify.oncall] people; receivers[0].numbers[1]: 张三 has no phone in [notify.oncall] people"]
    assert _problems({"oncall": {"people": [{"name": "张三", "phone": "555-1234"}]}}) == [
        "oncall.people[0].phone: '555-1234' is not a mainland China mobile number (+86 1[3-9]xxxxxxxxx)"]
    assert _problems({"oncall": {"sms": "a", "people": [{"name": "张三", "phone": "13800000000"}]},
                      "receivers": [{"name": "a", "urls": ["json://127.0.0.1:9/"]}]}) == [
        "oncall.sms: 'a' is not an SMS receiver"]


def test_people_are_texted_by_name_and_the_person_on_call_at_their_phone(tmp_path: Path) -> None:
    outgoing = tmp_path / "outgoing"
    outgoing.mkdir()
    settings = NotifySettings.model_validate({
        "receivers": [{"name": "smsd", "kind": "smstools", "numbers": ["张三", "13800000000"],
                       "smstools": {"outgoing": str(outgoing)}}],
        "oncall": {"sms": "smsd", "people": [{"name": "张三", "phone": "139 0000 0001"},
                                             {"name": "李四", "phone": "+8613900000002",
                                              "urls": ["json://127.0.0.1:9/"]}]}})
    n = from_settings(settings)
    assert [n.names[t] for t in n.targets_of("smsd")] == ["smsd: smstools +86139****0001",
                                                          "smsd: smstools +86138****0000"]
    assert [n.names[t] for t in n.targets_of("oncall:张三")] == ["oncall:张三: smstools +86139****0001"]
    assert len(n.targets_of("oncall:李四")) == 2  # the IM URL and the phone


def test_every_kind_has_a_sample_that_loads_and_is_in_the_config_sample(creds: None) -> None:
    import tomllib

    shipped = config_sample.render()
    for kind in KINDS:
        doc = tomllib.loads(sample(kind))
        [rec] = doc["notify"]["receivers"]
        assert rec["kind"] == kind and kind in rec
        im = {"name": "duty-im", "urls": ["json://127.0.0.1:9/"]}  # the sample's fallback
        NotifySettings.model_validate({"receivers": [rec, im], "oncall": {
            "people": [{"name": "张三", "phone": "13800000001"}]}})
        commented = "\n".join(f"# {line}" if line else "#" for line in sample(kind).splitlines())
        assert commented in shipped


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "r.toml"
    path.write_text(f'state_dir = "{tmp_path}/state"\ndevices = []\n[notify]\n{body}')
    return path


@pytest.mark.parametrize("kind", ["aliyun", "tencent"])
def test_test_notify_prints_the_providers_answer_never_a_secret(
        kind: str, aliyun: Provider, tencent: Provider, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = aliyun if kind == "aliyun" else tencent
    options = ('access_key_id = "env:ALIYUN_AK_ID"\naccess_key_secret = "env:ALIYUN_AK_SECRET"\n'
               'sign_name = "信息中心"\ntemplate_code = "SMS_1"\n' if kind == "aliyun" else
               'secret_id = "env:TENCENT_SECRET_ID"\nsecret_key = "env:TENCENT_SECRET_KEY"\n'
               'sdk_app_id = "1400006666"\nsign_name = "信息中心"\ntemplate_id = "1"\n')
    cfg = _config(tmp_path, f'[[notify.receivers]]\nname = "duty-sms"\nkind = "{kind}_sms"\n'
                            f'numbers = ["13800000000"]\nformat = "sms"\n'
                            f'[notify.receivers.{kind}_sms]\n{options}endpoint = "{server.endpoint}"\n'
                            f'protocol = "http"\n')
    assert test_notify.run(argparse.Namespace(config=cfg, receiver="duty-sms")) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK     duty-sms: {kind}_sms +86138****0000: code=O") and "request_id=" in out
    server.script = ["template"]
    assert test_notify.run(argparse.Namespace(config=cfg, receiver="duty-sms")) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAILED") and ("isv.SMS_TEMPLATE_ILLEGAL" in out or "TemplateIncorrect" in out)
    assert ALIYUN_SECRET not in out and TENCENT_KEY not in out and server.rejected == []


def test_provider_credentials_are_known_to_the_log_redaction(creds: None) -> None:
    settings = NotifySettings.model_validate({"receivers": [
        aliyun_receiver("127.0.0.1:9"), {**tencent_receiver("127.0.0.1:9"), "name": "tc"}]})
    assert set(settings.secret_values()) == {ALIYUN_ID, ALIYUN_SECRET, TENCENT_ID, TENCENT_KEY}
    assert ALIYUN_SECRET not in repr(settings) and TENCENT_KEY not in repr(settings)
