"""Plays the demo: starts the simulated room, the sink and roomwatch, drives the scenario with a
live status view, then writes today's inspection record and the week's report (HTML and PDF)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from monitor.demo import agents, scenario
from monitor.demo import arp as demo_arp
from monitor.demo.sink import Message, Sink, serving

log = logging.getLogger(__name__)
Show = Callable[[str], None]


@dataclass(kw_only=True)
class Outcome:
    """What a demo run produced: the messages told, and the record and report files."""

    messages: list[Message] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def play(*, workdir: Path, duration: float, keep: bool, show: Show = print) -> Outcome:
    """The whole demo in ``workdir``; ``duration`` seconds of scenario; ``keep``: run on until Ctrl-C."""
    workdir.mkdir(parents=True, exist_ok=True)
    skip = demo_arp.why_not()
    if skip is None:  # before any socket or thread: everything from here on lives in the namespace
        try:
            demo_arp.isolate()
        except (OSError, subprocess.SubprocessError) as err:  # root in a container without CAP_SYS_ADMIN
            skip = f"no network namespace can be made here ({err})"
    if skip is None:
        show(f"running as root: the demo runs in a network namespace of its own (`nsenter -t {os.getpid()} "
             "-n` enters it) and a simulated host in a second one sends ARP to it over a veth pair")
    else:
        show(f"ARP step skipped: {skip}")
    snmp_port = _free_port(socket.SOCK_DGRAM, scenario.CORE.address)
    modbus_port = _free_port(socket.SOCK_STREAM, scenario.SENSOR_ADDRESS)
    syslog_port = _free_port(socket.SOCK_DGRAM, "127.0.0.1")
    show(f"roomwatch demo in {workdir} (everything on 127.0.0.0/8; nothing leaves this host)")
    show("starting simulated devices: " + ", ".join(
        f"{d.name} ({d.recording}, {d.address}:{snmp_port}/udp)" for d in scenario.SNMP_DEVICES)
        + f", {scenario.SENSOR} (Modbus-TCP, {scenario.SENSOR_ADDRESS}:{modbus_port})")
    holding = {scenario.TEMPERATURE: 240, scenario.HUMIDITY: 500}
    rogue_host = demo_arp.rogue_host() if skip is None else contextlib.nullcontext(None)
    with serving(show) as sink, \
            agents.modbus_device(scenario.SENSOR_ADDRESS, modbus_port, holding), \
            agents.snmpsim(scenario.SNMP_DEVICES, snmp_port, workdir / "snmpsim"), \
            rogue_host as rogue:
        path = workdir / "roomwatch.toml"
        registry = demo_arp.registry(workdir / "bindings.csv") if rogue else None
        path.write_text(scenario.config(state=workdir / "state", snmp_port=snmp_port, modbus_port=modbus_port,
                                        syslog_port=syslog_port, sink_url=sink.url(scenario.RECEIVER),
                                        interval=_interval(duration), stale_after=_stale_after(duration),
                                        now=dt.datetime.now(dt.UTC),
                                        bindings=registry),
                        encoding="utf-8")
        show(f"config: {path}; roomwatch's log: {workdir / 'roomwatch.log'}; "
             f"syslog: udp://127.0.0.1:{syslog_port}")
        with _daemon(path, workdir / "roomwatch.log") as daemon:
            _wait_first_readings(workdir / "state" / "roomwatch.db", daemon, deadline=time.monotonic() + 120)
            _script(duration, Ports(snmp=snmp_port, modbus=modbus_port, syslog=syslog_port), sink, show,
                    rogue=rogue)
            outcome = Outcome(messages=sink.received())
            _status(outcome.messages, show, final=True)
            outcome.files = _records(path, outcome, show)
            if keep:
                show("--keep: roomwatch and the simulated devices keep running; Ctrl-C ends them")
                with contextlib.suppress(KeyboardInterrupt):
                    while daemon.poll() is None:
                        time.sleep(1)
    return outcome


@dataclass(frozen=True, kw_only=True)
class Ports:
    """Where the scenario reaches the simulated devices (SNMP, Modbus) and roomwatch (syslog)."""

    snmp: int
    modbus: int
    syslog: int


def _interval(duration: float) -> str:
    """Poll often enough that every step of the scenario is seen (at least twice per step)."""
    return f"{max(1.0, min(10.0, duration / 20)):.1f}s"


def _stale_after(duration: float) -> str:
    """Short enough that the configuration-saved event (at 0.25 of the run) is told resolved
    before the end: the engine sweeps silent series every ``stale_after``, so up to twice that."""
    return f"{max(10.0, duration * 0.25):.0f}s"


def _script(duration: float, ports: Ports, sink: Sink, show: Show, *,
            rogue: Callable[[], None] | None) -> None:
    start = time.monotonic()
    for step in scenario.STEPS:
        _wait_until(start + step.at * duration)
        show(f"[{time.monotonic() - start:5.1f}s] ▶ {step.says}")
        if step.temperature is not None:
            agents.modbus_write(scenario.SENSOR_ADDRESS, ports.modbus, scenario.TEMPERATURE,
                                round(step.temperature * 10))
        if step.rogue:
            if rogue is not None:
                rogue()
            else:
                show("         (skipped: the ARP step needs root)")
        if step.saved_by is not None:
            agents.syslog_send(scenario.CORE.address, ports.syslog, scenario.saved_message(step.saved_by))
        if step.ups_source is not None:
            agents.snmp_set(scenario.UPS, ports.snmp, scenario.UPS_OUTPUT_SOURCE, step.ups_source)
        if step.uplink is not None:
            agents.snmp_set(scenario.CORE, ports.snmp, f"{scenario.IF_OPER_STATUS}.{scenario.UPLINK_IFINDEX}",
                            step.uplink)
        _status(sink.received(), show, final=False)
    _wait_until(start + duration)


def _wait_until(moment: float) -> None:
    # The demo is a show played in real time: this is its only clock.
    left = moment - time.monotonic()
    if left > 0:
        time.sleep(left)


def firing(messages: list[Message]) -> dict[str, str]:
    """rule -> clause of what is firing now, from the messages told so far (in order)."""
    now: dict[str, str] = {}
    for message in messages:
        rules = re.findall(r"规则: (\S+)", message.body)
        clauses = re.findall(r"依据: (.+)", message.body)
        for rule, clause in zip(rules, clauses + [""] * len(rules), strict=False):
            if message.title.startswith("[恢复]"):
                now.pop(rule, None)
            else:
                now[rule] = clause.strip()
    return now


def _status(messages: list[Message], show: Show, *, final: bool) -> None:
    active = firing(messages)
    told = sorted({m.receiver for m in messages})
    if final:
        fired = sorted({r for m in messages for r in re.findall(r"规则: (\S+)", m.body)})
        show(f"status: {len(messages)} messages told to {', '.join(told) or 'nobody'}; "
             f"rules that fired: {', '.join(fired) or 'none'}; still firing: {', '.join(active) or 'none'}")
        return
    for rule, clause in active.items():
        show(f"         firing: {rule} — {clause} — told {', '.join(told)}")


def _records(config: Path, outcome: Outcome, show: Show) -> list[Path]:
    """Today's inspection record and this week's report as HTML and PDF; their paths."""
    files: list[Path] = []
    for args in (["inspect", "--date", "today"], ["report", "--week", "this", "--format", "html"],
                 ["report", "--week", "this", "--format", "pdf"]):
        done = subprocess.run([sys.executable, "-m", "monitor.cli", *args, "--config", str(config)],
                              capture_output=True, text=True, timeout=600)
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        if done.returncode != 0 or not lines:
            outcome.failed.append(f"roomwatch {' '.join(args)}: exit {done.returncode}: "
                                  f"{done.stderr.strip()}")
            show(outcome.failed[-1])
            continue
        files.append(Path(lines[-1]))
        show(f"{' '.join(args[:1])}: {lines[-1]}")
    return files


def _free_port(kind: int, address: str) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _daemon(config: Path, logfile: Path) -> Iterator[subprocess.Popen[bytes]]:
    with logfile.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "run", "--config", str(config)],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # it flushes the store and its alert state
        agents.stop(proc, timeout=30)


def _wait_first_readings(db: Path, daemon: subprocess.Popen[bytes], *, deadline: float) -> None:
    """Until roomwatch has stored readings of every demo device (the scenario starts from there)."""
    import sqlite3

    names = {d.name for d in scenario.SNMP_DEVICES} | {scenario.SENSOR}
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise RuntimeError(f"roomwatch exited with {daemon.returncode}; see its log")
        if db.exists():
            with contextlib.suppress(sqlite3.Error), \
                    contextlib.closing(sqlite3.connect(db, timeout=5)) as con:
                # Read-only peek at the store's file: a device counts once it has answered (up 1).
                seen = {row[0] for row in con.execute(
                    "SELECT DISTINCT json_extract(s.labels, '$.device') FROM series s JOIN "
                    "(SELECT series_id, value FROM recent UNION ALL SELECT series_id, value FROM samples) x "
                    "ON x.series_id = s.id WHERE s.metric = 'up' AND x.value = 1")}
                if names <= seen:
                    return
        time.sleep(0.5)
    raise RuntimeError("roomwatch did not read every demo device in time; see its log")
