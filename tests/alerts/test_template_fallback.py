"""A site template that fails never stops a message: the built-in one renders it, the failure is
logged once with the template's file and line, and `config validate` finds it beforehand."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest

from alerts.render import Renderer, check_templates
from monitor.commands import config as config_cmd

from .helpers import alert

BROKEN = {  # (text, line of the fault)
    "im.zh.j2": ("【{{ firing | length }} 条告警】\n{% for a in firing %}\n{{ a.what.upper() }}"
                 "{{ a.nope.deeper }}\n{% endfor %}\n", 3),  # a name the view does not have
    "sms.zh.j2": ("{{ firing[0].device }}\n{% if %}\n", 2),  # syntax error
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    for name, (text, _) in BROKEN.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "im.en.j2").write_text("{{ firing | length }} alert(s)\nfine\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("form", "name"), [("im", "im.zh.j2"), ("sms", "sms.zh.j2")])
def test_failing_site_template_falls_back_to_the_builtin_and_says_so_once(
        site: Path, form: str, name: str, caplog: pytest.LogCaptureFixture) -> None:
    fire = [alert("ups-1", "ups_on_battery", at=1000.0)]
    builtin = Renderer().render(form=form, lang="zh", firing=fire)
    renderer = Renderer(site)
    with caplog.at_level(logging.ERROR, logger="alerts.render"):
        told = [renderer.render(form=form, lang="zh", firing=fire) for _ in range(3)]
    assert told == [builtin] * 3
    [line] = [r.getMessage() for r in caplog.records if r.name == "alerts.render"]
    assert f"{site / name}:{BROKEN[name][1]}" in line and "built-in" in line
    # A working site template is still the site's.
    assert Renderer(site).render(form="im", lang="en", firing=fire) == ("1 alert(s)", "fine")


def test_check_templates_names_file_and_line_of_each_failure(site: Path) -> None:
    problems = check_templates(site)
    assert [p.split(": ", 1)[0] for p in problems] == [
        f"{site / name}:{line}" for name, (_, line) in sorted(BROKEN.items())]


def test_config_validate_renders_every_site_template(site: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "r.toml"
    config.write_text(f'state_dir = "{tmp_path}/state"\n[notify]\ntemplates_dir = "{site}"\n')
    assert config_cmd.run_validate(argparse.Namespace(file=config)) == 2
    err = capsys.readouterr().err
    assert f"{site / 'im.zh.j2'}:3" in err and f"{site / 'sms.zh.j2'}:2" in err


def test_a_missing_templates_dir_is_reported(tmp_path: Path) -> None:
    assert check_templates(tmp_path / "nope") == [
        f"notify.templates_dir: {tmp_path / 'nope'} is not a directory"]
