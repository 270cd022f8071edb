"""Rack PDU and precision air conditioning profiles against snmpsim serving snmpsim-data's own
recordings (``UPS/apc-*`` are APC rack PDUs; ``UPS/vertiv-power`` carries Liebert's
environmental MIB), with a golden reading list per recording."""

from __future__ import annotations

import asyncio
import bz2
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.snmp.collector import SnmpCollector
from collectors.snmp.options import SnmpOptions
from tests.collectors.snmp.conftest import Agent, _wait_answer, free_udp_port
from tests.procs import stop

GOLDEN = Path(__file__).parent / "golden"
CASES = [("apc-7902b", "apc-rpdu"), ("apc-8641", "apc-rpdu"), ("apc-8932", "apc-rpdu"),
         ("vertiv-power", "liebert-env")]
# Only the metrics these profiles add are compared; interfaces are the generic code's business.
FACILITY = ("pdu_", "ac_", "humidity_percent")


@pytest.fixture(scope="module")
def facility_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    """snmpsim on a loopback port serving the PDU and air-conditioning recordings."""
    snmpsim_data = pytest.importorskip("snmpsim_data")
    exe = Path(sys.executable).parent / "snmpsim-command-responder"
    root = tmp_path_factory.mktemp("snmpsim-facility")
    data = root / "data"
    data.mkdir()
    source = Path(snmpsim_data.__file__).parent / "data" / "UPS"
    for name, _ in CASES:
        plain = source / f"{name}.snmprec"
        if plain.exists():
            shutil.copy(plain, data / plain.name)
        else:
            packed = (source / f"{name}.snmprec.bz2").read_bytes()
            (data / f"{name}.snmprec").write_bytes(bz2.decompress(packed))
    port = free_udp_port()
    proc = subprocess.Popen(
        [str(exe), f"--data-dir={data}", f"--cache-dir={root / 'cache'}", "--logging-method=null",
         f"--agent-udpv4-endpoint=127.0.0.1:{port}"],
        env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}, stdout=subprocess.DEVNULL,
        stderr=(root / "stderr").open("wb"))
    try:
        _wait_answer(port, "apc-8641", proc, time.monotonic() + 90)
        yield Agent(port, tuple(name for name, _ in CASES))
    finally:
        stop(proc)


@pytest.mark.parametrize(("name", "profile"), CASES)
def test_facility_recording_matches_golden(facility_agent: Agent, name: str, profile: str) -> None:
    options = SnmpOptions.model_validate({"community": name, "timeout": "2s", "retries": 0})
    col = SnmpCollector("dev", options, address="127.0.0.1", port=facility_agent.port)
    got = asyncio.run(col.collect(1000.0))
    assert col.profile is not None and col.profile.name == profile
    actual = sorted(([r.metric, r.labels, r.value] for r in got if r.metric.startswith(FACILITY)),
                    key=json.dumps)
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in actual)
        path.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
    assert actual == json.loads(path.read_text(encoding="utf-8"))


def test_pdu_figures_are_the_recordings_own(facility_agent: Agent) -> None:
    """Hand-checked against apc-8641.snmprec: rPDU2PhaseStatusCurrent 65 (tenths) on phase 1,
    overload threshold 24 A; rPDUOutletStatusOutletState 15 × on(1), 9 × off(2)."""
    options = SnmpOptions.model_validate({"community": "apc-8641", "timeout": "2s", "retries": 0})
    got = asyncio.run(SnmpCollector("dev", options, address="127.0.0.1",
                                    port=facility_agent.port).collect(1.0))
    by = {(r.metric, tuple(sorted(r.labels.items()))): r.value for r in got}
    assert by[("pdu_phase_current_amperes", (("phase", "1"),))] == 6.5
    assert by[("pdu_load_percent", ())] == round(6.5 / 24 * 100, 6)
    outlets = [v for (m, _), v in by.items() if m == "pdu_outlet_state"]
    assert sorted(outlets) == [0.0] * 9 + [1.0] * 15
    assert not [m for m, _ in by if m.startswith("ac_")]
