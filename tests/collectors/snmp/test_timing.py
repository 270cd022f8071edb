"""Timeouts that agree: a poll's deadline follows the device's SNMP timeout and retries (bounded
by the interval), and a config where one request cannot fit is refused naming what to change."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from monitor import config, wiring
from monitor.core.errors import ConfigError
from monitor.scheduler import collect_once


def _load(tmp_path: Path, device: str, defaults: str = "") -> config.Settings:
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'state_dir = "{tmp_path}/state"\n{defaults}\n[[devices]]\nname = "sw1"\n'
                    f'kind = "switch"\naddress = "127.0.0.1"\n{device}\n', encoding="utf-8")
    return config.load(path)[0]


def test_long_snmp_timeout_lengthens_the_poll_deadline(tmp_path: Path) -> None:
    # the case: 20 s per try with the default 10 s collection timeout
    settings = _load(tmp_path, 'snmp = { community = "public", timeout = "20s" }')
    [job] = wiring.build_jobs(settings)
    assert job.timeout == 60.0  # 2 requests × 20 s × 3 tries = 120 s, bounded by the 60 s interval
    short = _load(tmp_path, 'snmp = { community = "public", timeout = "1s", retries = 1 }')
    assert wiring.build_jobs(short)[0].timeout == 10.0  # the default is already long enough


@pytest.mark.parametrize(("device", "message"), [
    ('snmp = { community = "public", timeout = "30s" }',
     "devices[0]: snmp.timeout 30s × 3 tries = 90s does not fit in the 60s interval; lower snmp.timeout "
     "or snmp.retries, or raise interval"),
    ('interval = "20s"\nsnmp = { community = "public", timeout = "5s", retries = 4 }',
     "devices[0]: snmp.timeout 5s × 5 tries = 25s does not fit in the 20s interval"),
    ('timeout = "10s"\nsnmp = { community = "public", timeout = "5s", retries = 2 }',
     "devices[0]: timeout 10s is shorter than one SNMP request (snmp.timeout 5s × 3 tries = 15s); "
     "raise timeout"),
])
def test_timeouts_that_cannot_agree_are_refused(tmp_path: Path, device: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, device)
    assert len(err.value.problems) == 1
    assert message in err.value.problems[0] and err.value.problems[0].startswith("roomwatch.toml: ")


def test_silent_agent_fails_with_snmps_own_answer(tmp_path: Path, silent_port: int,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    settings = _load(tmp_path, f'port = {silent_port}\nsnmp = {{ community = "public", timeout = "300ms" }}',
                     '[defaults]\ntimeout = "400ms"\ninterval = "10s"')
    [job] = wiring.build_jobs(settings)
    assert job.timeout == pytest.approx(1.8)
    with caplog.at_level(logging.WARNING):
        readings = asyncio.run(collect_once(job, 1.0))
    assert [r.value for r in readings if r.metric == "up"] == [0.0]
    assert "collection failed: snmp sw1: get system group: timeout" in caplog.text
    assert "collection timed out" not in caplog.text
