"""Posture as a per-device option: on by default for servers read locally or over ssh,
``posture = false`` off, a table tunes it; misplaced options are clear config errors; the
``roomwatch server baseline`` command records and compares the approved packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.posture.collector import PostureCollector, WithPosture
from monitor import config, wiring
from monitor.cli import main
from monitor.core.errors import ConfigError


def load(tmp_path: Path, devices: str) -> config.Settings:
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'state_dir = "{tmp_path}/state"\n{devices}', encoding="utf-8")
    return config.load(path)[0]


SSH = 'ssh = { device_type = "%s", username = "u", password = "p" }\n'


def test_servers_get_posture_by_default_and_false_turns_it_off(tmp_path: Path) -> None:
    settings = load(tmp_path, '[[devices]]\nname = "nms"\nkind = "server"\nlocal = {}\n'
                    '[[devices]]\nname = "db"\nkind = "server"\naddress = "192.0.2.10"\n' + SSH % "linux"
                    + '[[devices]]\nname = "app"\nkind = "server"\naddress = "192.0.2.11"\nposture = false\n'
                    + SSH % "linux"
                    + '[[devices]]\nname = "win"\nkind = "server"\naddress = "192.0.2.12"\n' + SSH % "windows"
                    + '[[devices]]\nname = "sw"\nkind = "switch"\naddress = "192.0.2.1"\n' + SSH % "huawei")
    jobs = {j.device: j.collector for j in wiring.build_jobs(settings)}
    assert isinstance(jobs["nms"], WithPosture) and isinstance(jobs["db"], WithPosture)
    assert not isinstance(jobs["app"], WithPosture | PostureCollector)
    assert isinstance(jobs["win"], PostureCollector) and jobs["win"].os == "windows"
    assert jobs["win"].reports_host_key
    assert not isinstance(jobs["sw"], WithPosture | PostureCollector)


def test_posture_table_tunes_the_checks(tmp_path: Path) -> None:
    settings = load(tmp_path, '[[devices]]\nname = "nms"\nkind = "server"\nlocal = {}\n'
                    'posture = { checks = ["egress"], egress_allow = ["198.51.100.10:3128"] }\n')
    job = wiring.build_jobs(settings)[0]
    assert isinstance(job.collector, WithPosture)
    assert job.collector.posture.options.checks == ["egress"]


@pytest.mark.parametrize(("devices", "problem"), [
    ('[[devices]]\nname = "sw"\nkind = "switch"\naddress = "192.0.2.1"\nposture = {}\n' + SSH % "huawei",
     "r.toml: devices[0].posture: only for kind = 'server'"),
    ('[[devices]]\nname = "w"\nkind = "server"\naddress = "192.0.2.1"\nposture = false\n' + SSH % "windows",
     "r.toml: devices[0].ssh.device_type: 'windows' is read only by the posture checks"),
    ('[[devices]]\nname = "s"\nkind = "server"\nlocal = {}\nposture = { egress_allow = ["proxy.example"] }\n',
     "r.toml: devices[0].posture.egress_allow: 'proxy.example': give an address"),
    ('[[devices]]\nname = "s"\nkind = "server"\nlocal = {}\nposture = { checks = ["antivirsu"] }\n',
     "r.toml: devices[0].posture.checks[0]: 'antivirsu' is not one of"),
])
def test_bad_posture_options_name_file_and_field(tmp_path: Path, devices: str, problem: str) -> None:
    path = tmp_path / "r.toml"
    path.write_text(devices, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert len(err.value.problems) == 1 and err.value.problems[0].startswith(problem), err.value.problems


def test_baseline_approve_and_show_on_this_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'state_dir = "{tmp_path}/state"\n[[devices]]\nname = "nms"\nkind = "server"\n'
                    'local = {}\n')
    assert main(["server", "baseline", "show", "--config", str(path), "nms"]) == 3
    assert main(["server", "baseline", "approve", "--config", str(path), "nms"]) == 0
    assert "nms: approved" in capsys.readouterr().out
    assert main(["server", "baseline", "show", "--config", str(path), "nms"]) == 0
    inventory = tmp_path / "state" / "posture" / "nms.inventory.json"
    text = inventory.read_text().replace('"packages": {', '"packages": {"rogue-game": "1.0", ', 1)
    inventory.write_text(text)
    assert main(["server", "baseline", "show", "--config", str(path), "nms"]) == 1
    assert "+ rogue-game 1.0" in capsys.readouterr().out
    assert main(["server", "baseline", "approve", "--last", "--config", str(path), "nms"]) == 0
    assert main(["server", "baseline", "show", "--config", str(path), "nms"]) == 0
    assert main(["server", "baseline", "approve", "--config", str(path), "nope"]) == 2


def test_posture_sample_shows_each_option_and_is_in_the_sample_config() -> None:
    from collectors import posture
    from monitor import sample
    from tests.monitor.test_config import _missing

    assert _missing(posture.SAMPLE, posture.Options) == []
    assert posture.SAMPLE in sample.render()
