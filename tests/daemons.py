"""The real daemon in end-to-end tests: the config head they share (fast polling and rules, a
local receiver) and a run until that receiver has been paged with given words."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.procs import stop

ROOT = Path(__file__).parents[1]


def daemon_head(tmp_path: Path, url: str, interval: str) -> str:
    """The config's head: state in ``tmp_path``, fast polling, rules and store, pages to ``url``."""
    return f'''
state_dir = "{tmp_path}/state"
[defaults]
interval = "{interval}"
jitter = "0s"
[rules]
evaluate_interval = "200ms"
[store.sqlite]
flush_interval = "200ms"
[notify]
urls = ["{url}"]
retry_initial = "200ms"
retry_max = "1s"
'''


def facility_head(tmp_path: Path, url: str, interval: str) -> str:
    """``daemon_head`` plus working hours that are never open now (every open door is outside)."""
    return daemon_head(tmp_path, url, interval) + '''
[[facility.working_hours]]
name = "long ago"
from = "2020-01-01T08:00"
until = "2020-01-01T18:00"
'''


def paged_until(config: Path, receiver: Any, expected: Iterable[str], timeout: float = 40.0) -> str:
    """Run the daemon on ``config`` until every expected text reached the receiver (or the time
    is up, or the daemon exits); the failure pages' titles and messages, joined. Its log is
    ``daemon.log`` next to the config."""
    want = list(expected)
    with (config.parent / "daemon.log").open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "run", "--config", str(config)],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        told = ""
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and proc.poll() is None:
                told = "\n".join(b.get("title", "") + "\n" + b.get("message", "")
                                 for b in receiver.bodies() if b.get("type") == "failure")
                if all(words in told for words in want):
                    break
                time.sleep(0.1)
        finally:
            stop(proc)
    return told


def daemon_log(config: Path) -> str:
    """The tail of the daemon's log, for an assertion message."""
    return (config.parent / "daemon.log").read_text(errors="replace")[-3000:]
