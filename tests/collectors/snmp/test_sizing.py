"""Adaptive request sizes: the ladder's state machine as a timeline, and the collector against a
real agent (snmpsim) behind a proxy that holds large answers past the timeout."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from collectors.snmp.client import Client, SnmpShared, SnmpTimeout
from collectors.snmp.collector import SnmpCollector
from collectors.snmp.options import SnmpOptions
from collectors.snmp.sizing import GROW_AFTER, MAX_WAIT, Shape, Sizes, Sizing, answered, ladder, timed_out
from monitor.core.model import Reading
from tests.collectors.snmp.conftest import Agent
from tests.collectors.snmp.slow_agent import GET, SlowAgent, larger_than

GOLDEN = Path(__file__).parent / "golden"
BOTTOM = 5


def test_ladder_shrinks_columns_then_repetitions_then_getbulk() -> None:
    assert [str(s) for s in ladder(25, bulk=True)] == [
        "12 columns × 25", "6 columns × 25", "3 columns × 10", "2 columns × 10", "1 column × 10",
        "1 column, GETNEXT"]
    assert ladder(25, bulk=False) == tuple(Shape(columns=c, reps=0) for c in (12, 6, 3, 1))
    assert len(ladder(5, bulk=True)) == 6 and ladder(5, bulk=True)[2] == Shape(columns=3, reps=5)


# (event, level, trial, wait) after each event; "t" = a request timed out, "a" = a clean poll.
TIMELINE = [
    ("t", 1, False, GROW_AFTER),
    ("t", 2, False, GROW_AFTER),
    *[("a", 2, False, GROW_AFTER)] * (GROW_AFTER - 1),
    ("a", 1, True, GROW_AFTER),            # due: one step larger is tried
    ("t", 2, False, 2 * GROW_AFTER),       # it failed: back, and wait twice as long
    *[("a", 2, False, 2 * GROW_AFTER)] * (2 * GROW_AFTER - 1),
    ("a", 1, True, 2 * GROW_AFTER),
    ("a", 1, False, GROW_AFTER),           # it held a whole poll: kept
]


def test_sizing_timeline() -> None:
    s = Sizing()
    for minute, (event, level, trial, wait) in enumerate(TIMELINE):
        nxt = timed_out(s, BOTTOM) if event == "t" else answered(s)
        assert nxt is not None
        s = nxt
        assert (s.level, s.trial, s.wait) == (level, trial, wait), minute


def test_smallest_shape_timing_out_means_down_and_waits_are_bounded() -> None:
    assert timed_out(Sizing(level=BOTTOM), BOTTOM) is None
    assert timed_out(Sizing(level=BOTTOM - 1, trial=True, wait=MAX_WAIT), BOTTOM) == Sizing(
        level=BOTTOM, wait=MAX_WAIT)
    assert answered(Sizing()) == Sizing(clean=1)  # nothing larger than the top to try


def test_sizes_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "snmp.db"
    Sizes(path).put("sw1", Sizing(level=3, wait=40))
    Sizes(path).put("sw2", Sizing(clean=4))  # unchanged level and wait: nothing written
    again = Sizes(path)
    assert again.get("sw1") == Sizing(level=3, wait=40)
    assert again.get("sw2") == Sizing() and again.get("never-seen") == Sizing()


def test_unwritable_sizes_stay_in_memory(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    sizes = Sizes(blocker / "snmp.db")  # its folder is a file
    sizes.put("sw1", Sizing(level=2))
    sizes.put("sw1", Sizing(level=3))
    assert sizes.get("sw1") == Sizing(level=3)
    assert caplog.text.count("cannot be written") == 1


@pytest.fixture
def agent(snmpsim: Agent) -> Agent:
    """snmpsim with the recording loaded (its first answer takes a second: not the agent's pace)."""
    options = SnmpOptions.model_validate({"community": "huawei-s5720", "timeout": "10s", "retries": 0})
    client = Client("warm-up", "127.0.0.1", snmpsim.port, options, SnmpShared(1))
    asyncio.run(client.get(["1.3.6.1.2.1.1.3.0"]))
    return snmpsim


def _collector(port: int, sizes: Sizes, **kw: object) -> SnmpCollector:
    options = SnmpOptions.model_validate({"community": "huawei-s5720", "timeout": "0.3s", "retries": 1, **kw})
    return SnmpCollector("slow-sw", options, address="127.0.0.1", port=port,
                         shared=SnmpShared(8, sizes=sizes))


def _rows(readings: list[Reading]) -> list[list[object]]:
    return sorted([[r.metric, r.labels, r.value] for r in readings], key=json.dumps)


def test_slow_agent_is_polled_with_smaller_requests(agent: Agent, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "snmp.db"

    async def run() -> tuple[list[Reading], SlowAgent]:
        async with SlowAgent(agent.port, larger_than(20)) as proxy:
            return await _collector(proxy.port, Sizes(path)).collect(1000.0), proxy

    with caplog.at_level(logging.INFO, logger="collectors.snmp"):
        got, proxy = asyncio.run(run())
    # everything the recording gives, exactly as without the proxy
    assert _rows(got) == json.loads((GOLDEN / "huawei-s5720.json").read_text(encoding="utf-8"))
    assert proxy.held == 3  # 12 × 25, 6 × 25 and 3 × 10 varbinds are more than 20; 2 × 10 is not
    warnings = [r.getMessage() for r in caplog.records if "time out" in r.getMessage()]
    assert warnings == ["device=slow-sw: large requests time out; now 2 columns × 10"]
    assert Sizes(path).get("slow-sw").level == 3

    # after a restart the device starts at the size that worked: no request is held
    caplog.clear()

    async def again() -> SlowAgent:
        async with SlowAgent(agent.port, larger_than(20)) as proxy:
            await _collector(proxy.port, Sizes(path)).collect(1060.0)
            return proxy

    assert asyncio.run(again()).held == 0
    assert "time out" not in caplog.text


def test_grows_back_when_the_agent_recovers(agent: Agent, tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    sizes = Sizes(tmp_path / "snmp.db")
    sizes.put("slow-sw", Sizing(level=3, wait=2))

    async def polls(n: int, varbinds: int) -> list[int]:
        levels = []
        async with SlowAgent(agent.port, larger_than(varbinds)) as proxy:
            col = _collector(proxy.port, sizes)
            for i in range(n):
                await col.collect(1000.0 + 60 * i)
                levels.append(sizes.get("slow-sw").level)
        return levels

    # still slow: the try at 3 × 10 fails (back to 3, waiting twice as long), the poll completes
    assert asyncio.run(polls(3, 20)) == [3, 2, 3]
    assert sizes.get("slow-sw").wait == 4
    with caplog.at_level(logging.INFO, logger="collectors.snmp"):
        assert asyncio.run(polls(4, 10_000)) == [3, 3, 2, 2]
    assert "device=slow-sw: larger requests answered again; now 3 columns × 10" in caplog.text


def test_down_only_when_the_smallest_request_fails(agent: Agent, tmp_path: Path) -> None:
    sizes = Sizes(tmp_path / "snmp.db")
    sizes.put("slow-sw", Sizing(level=1, wait=20))

    async def run() -> SlowAgent:
        # answers GET (the system group) but no walk at all, whatever its size
        async with SlowAgent(agent.port, lambda pdu, _n: 0.0 if pdu == GET else 5.0) as proxy:
            with pytest.raises(SnmpTimeout, match="walk tables: timeout"):
                await _collector(proxy.port, sizes).collect(1000.0)
            return proxy

    proxy = asyncio.run(run())
    # 6 × 25, 3 × 10, 2 × 10, 1 × 10 once each, then GETNEXT with its retry
    assert proxy.held == 6
    # a silent device teaches nothing about sizes: the known size is kept
    assert sizes.get("slow-sw") == Sizing(level=1, wait=20)
