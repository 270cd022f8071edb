"""One exec device printing +inf, then -inf, never stops the store for the others: the daemon's
sink refuses non-finite values, with one warning per device and metric until they are finite."""

from __future__ import annotations

import asyncio
import logging
import math
from pathlib import Path

import pytest

from monitor import config as config_mod
from monitor import daemon, wiring
from monitor.core.model import Reading
from monitor.finite import FiniteGate
from monitor.scheduler import collect_once

T0 = 1_700_000_000.0

# Prints +inf on its first run, -inf on its second, then 22.5: what a broken 动环 script did.
FLIPPING = """\
n=$(cat "$1" 2>/dev/null || echo 0); echo $((n + 1)) > "$1"
case $n in 0) v=+inf;; 1) v=-inf;; *) v=22.5;; esac
echo "temperature_celsius,sensor=t value=$v"
"""


def test_inf_then_minus_inf_from_one_device_leaves_the_others_stored(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    script = tmp_path / "flip.sh"
    script.write_text(FLIPPING)
    config = tmp_path / "r.toml"
    config.write_text(
        f'state_dir = "{tmp_path}/state"\n'
        '[[devices]]\nname = "th-bad"\nkind = "sensor"\n'
        f'exec = {{ command = ["/bin/sh", "{script}", "{tmp_path}/count"] }}\n'
        '[[devices]]\nname = "th-good"\nkind = "sensor"\n'
        'exec = { command = ["/bin/echo", "temperature_celsius,sensor=t value=21"] }\n')
    settings, _ = config_mod.load(config)
    parts = wiring.build(settings, "r.toml")
    d = daemon.Daemon(settings, parts, config_path=config)
    with caplog.at_level(logging.WARNING, logger="monitor.finite"):
        for cycle in range(3):
            for job in parts.jobs:
                d.sink(asyncio.run(collect_once(job, T0 + cycle * 60)))
            parts.store.flush()  # raised NOT NULL constraint failed: rollups.sum, for everyone
    stored = {device: [x.value for x in parts.store.query("temperature_celsius", 0, 2e9,
                                                          {"device": device})]
              for device in ("th-bad", "th-good")}
    parts.store.close()
    parts.outbox.close()
    assert stored == {"th-bad": [22.5], "th-good": [21.0, 21.0, 21.0]}
    warned = [m for m in caplog.messages if "not a finite number" in m]
    assert len(warned) == 1 and "th-bad" in warned[0]  # once for the change, not per reading


def test_gate_refuses_non_finite_values_and_timestamps() -> None:
    gate = FiniteGate()
    labels = {"device": "sw1"}
    seq = [math.inf, -math.inf, math.nan, 1.0, math.inf]
    kept = [gate([Reading("if_in_bps", v, labels, T0 + i)]) for i, v in enumerate(seq)]
    assert [len(k) for k in kept] == [0, 0, 0, 1, 0] and gate.refused == 4
    assert gate([Reading("up", 1.0, labels, math.nan)]) == []  # a timestamp must be finite too
