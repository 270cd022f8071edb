"""A highly available pair (issue 23): two roomwatch daemons poll the same room and send to a
cluster of two real Alertmanagers; the person gets one page per incident, the resolve comes
when one daemon dies mid-incident, and nothing is lost while the Alertmanagers are down."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

from tests.alertmanagers import Alertmanager, cluster, start, told, wait
from tests.conftest import Receiver
from tests.procs import stop

ROOT = Path(__file__).parents[1]
RULE = "room_temperature"
QUIET = 6.0
"""How long no further message may arrive: three group intervals plus the cluster's peer timeout."""


def _config(tmp_path: Path, name: str, reading: Path, ams: list[Alertmanager]) -> Path:
    urls = json.dumps([am.url for am in ams])
    path = tmp_path / f"{name}.toml"
    path.write_text(f"""\
state_dir = "{tmp_path / name}"
[defaults]
interval = "1s"
timeout = "1s"
jitter = "0s"
[rules]
packs = ["regulation"]
evaluate_interval = "1s"
[store.sqlite]
flush_interval = "1s"
[cluster]
poller = "{name}"
[alertmanager]
urls = {urls}
resend_interval = "2s"
timeout = "2s"
[[devices]]
name = "th-1"
kind = "sensor"
room = "一号机房"
exec = {{ command = ["/bin/cat", "{reading}"] }}
""", encoding="utf-8")
    return path


@contextmanager
def daemon(config: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "run", "--config", str(config)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            stop(proc, timeout=20)


def _temperature(path: Path, value: float) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"temperature_celsius,sensor=s1 value={value}\n", encoding="utf-8")
    tmp.replace(path)


def _exactly(got: Receiver, expected: list[tuple[str, str]], logs: list[Path]) -> None:
    assert wait(lambda: len(told(got, RULE)) >= len(expected)), _why(got, logs)
    time.sleep(QUIET)  # a duplicate would come within this; real Alertmanagers keep real time
    assert told(got, RULE) == expected, _why(got, logs)


def _why(got: Receiver, logs: list[Path]) -> str:
    sent = [(m.get("externalURL"), m.get("status"), [(a["status"], a["startsAt"], a["endsAt"])
                                                     for a in m.get("alerts", [])]) for m in got.bodies()]
    tails = " | ".join(p.read_text(errors="replace")[-1500:] for p in logs)
    return f"told {told(got, RULE)} in {sent}; {tails}"


def test_one_page_per_incident_and_the_resolve_survives_a_dead_daemon(tmp_path: Path,
                                                                      receiver: Receiver) -> None:
    reading, got = tmp_path / "reading.lp", receiver
    _temperature(reading, 22.0)
    with cluster(tmp_path, _hook(got)) as ams, ExitStack() as stack:
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        a = stack.enter_context(daemon(_config(tmp_path, "a", reading, ams), logs[0]))
        stack.enter_context(daemon(_config(tmp_path, "b", reading, ams), logs[1]))

        _temperature(reading, 31.0)  # both daemons see it and both send it to both Alertmanagers
        _exactly(got, [("firing", "th-1")], logs)

        a.send_signal(signal.SIGKILL)  # mid-incident, without a word to anyone
        a.wait(timeout=10)
        _temperature(reading, 22.0)
        _exactly(got, [("firing", "th-1"), ("resolved", "th-1")], logs)


def test_nothing_is_lost_while_the_alertmanagers_are_down(tmp_path: Path, receiver: Receiver) -> None:
    reading, got = tmp_path / "reading.lp", receiver
    _temperature(reading, 22.0)
    with cluster(tmp_path, _hook(got)) as ams:
        log = tmp_path / "a.log"
        with daemon(_config(tmp_path, "a", reading, ams), log):
            for am in ams:
                am.stop()
            _temperature(reading, 31.0)  # fires while every Alertmanager is down: kept on disk
            firing = tmp_path / "a" / "alertmanager-firing.json"
            assert wait(lambda: firing.exists() and RULE in firing.read_text(encoding="utf-8"),
                        timeout=30), _why(got, [log])
            time.sleep(2.0)  # down "a while": the daemon keeps retrying meanwhile
            start(ams)
            _exactly(got, [("firing", "th-1")], [log])

            for am in ams:
                am.stop()
            _temperature(reading, 22.0)  # resolves while they are down: queued, one queue each
            queues = [tmp_path / "a" / f"alertmanager-queue-{i}.db" for i in range(len(ams))]
            assert wait(lambda: all(_queued(q) for q in queues), timeout=30), _why(got, [log])
            start(ams)
            _exactly(got, [("firing", "th-1"), ("resolved", "th-1")], [log])


def _hook(got: Receiver) -> str:
    return f"http://127.0.0.1:{got.port}/hook"


def _queued(path: Path) -> int:
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path)) as conn:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0])
        except sqlite3.OperationalError:  # the daemon is creating it right now
            return 0
