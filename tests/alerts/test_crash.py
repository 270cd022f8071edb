"""kill -9 after every stage (group wait, failed try, delivery, escalation, decided resolve):
after each restart nothing is told twice and nothing is lost."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from alerts.state import to_json
from monitor.core.model import AlertState, Severity

from .helpers import alert

DRIVER = Path(__file__).with_name("driver.py")


def test_kill_9_at_every_stage_neither_repeats_nor_loses(receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = f"json://127.0.0.1:{receiver.port}"
    notify = {"receivers": [{"name": "duty", "urls": [base + "/duty"]},
                            {"name": "boss", "urls": [base + "/boss"]}],
              "routes": [{"receiver": "duty", "group_wait": "30s", "group_interval": "1m"}],
              "escalations": [{"levels": [{"after": "15m", "receiver": "boss"}]}],
              "retry_initial": "5s"}
    fire = to_json(alert("ups-1", "ups_on_battery", severity=Severity.CRITICAL))
    done = to_json(alert("ups-1", "ups_on_battery", AlertState.RESOLVED, severity=Severity.CRITICAL,
                         resolved=960.0))
    segments = [  # (receiver answers, steps run before the SIGKILL)
        (200, [[0, "submit", fire], [10, "deliver"]]),  # inside group_wait
        (500, [[30, "deliver"]]),  # decided, tried, refused: waiting for a retry
        (200, [[40, "deliver"], [41, "deliver"]]),  # delivered
        (200, [[900, "deliver"]]),  # escalated
        (200, [[960, "submit", done]]),  # resolve decided, not yet sent
        (200, [[1100, "deliver"], [1200, "deliver"]]),
    ]
    for status, steps in segments:
        receiver.status = status
        proc = subprocess.run([sys.executable, str(DRIVER), str(tmp_path / "alerts.db"), json.dumps(notify),
                               json.dumps(steps)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
    told = [(r["path"], r["json"]["type"]) for r in receiver.requests if r["status"] == 200]
    assert sorted(told) == [("/boss", "failure"), ("/boss", "success"),
                            ("/duty", "failure"), ("/duty", "success")]
