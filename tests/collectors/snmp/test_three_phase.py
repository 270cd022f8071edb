"""Three-phase UPSes: one reading per line from the RFC 1628 tables, only the lines the agent
counts, and the regulation pack judging each line (bypass, a lost phase, one overloaded phase)."""

from __future__ import annotations

import asyncio

from collectors.snmp.collector import SnmpCollector
from collectors.snmp.options import SnmpOptions
from monitor.core.model import AlertState, Reading
from rules.engine import Engine
from rules.loader import load_pack
from tests.collectors.snmp.conftest import Agent

LABELS = {"device": "ups-3ph", "kind": "ups", "level": "1", "room": "UPS间"}


def _poll(agent: Agent, community: str, now: float, **kw: object) -> list[Reading]:
    options = SnmpOptions.model_validate({"community": community, "timeout": "2s", "retries": 0, **kw})
    col = SnmpCollector("ups-3ph", options, address="127.0.0.1", port=agent.port)
    return [Reading(r.metric, r.value, {**r.labels, **LABELS}, r.ts) for r in asyncio.run(col.collect(now))]


def _lines(readings: list[Reading], metric: str) -> dict[str, float]:
    return {r.labels["phase"]: r.value for r in readings if r.metric == metric}


def test_every_line_of_a_three_phase_ups_is_read(snmpsim: Agent) -> None:
    got = _poll(snmpsim, "ups-three-phase-bypass", 1.0)
    assert _lines(got, "ups_input_voltage_volts") == {"1": 229.0, "2": 231.0, "3": 0.0}
    assert _lines(got, "ups_input_frequency_hertz") == {"1": 50.0, "2": 50.0, "3": 0.0}
    assert _lines(got, "ups_output_current_amperes") == {"1": 18.0, "2": 39.0, "3": 16.0}
    assert _lines(got, "ups_output_load_percent") == {"1": 40.0, "2": 86.0, "3": 35.0}
    assert _lines(got, "ups_bypass_voltage_volts") == {"1": 229.0, "2": 231.0, "3": 0.0}
    source = {r.metric: r.value for r in got if r.metric in ("ups_on_battery", "ups_on_bypass")}
    assert source == {"ups_on_battery": 0.0, "ups_on_bypass": 1.0}


def test_only_the_lines_the_agent_counts(snmpsim: Agent) -> None:
    # This single-phase card (upsInputNumLines = 1) keeps rows 2 and 3 of its tables, all zero:
    # read as lines they would be two lost phases.
    got = _poll(snmpsim, "phoenixtec-power", 1.0, profile="ups-mib")
    assert _lines(got, "ups_input_voltage_volts") == {"1": 238.0}
    assert _lines(got, "ups_output_load_percent").keys() == {"1"}


def test_the_pack_judges_each_line(snmpsim: Agent) -> None:
    engine = Engine(load_pack("regulation"))
    fired: list[tuple[str, str, str]] = []
    for minute in range(6):
        now = 1_700_000_000.0 + 60 * minute
        engine.ingest(_poll(snmpsim, "ups-three-phase-bypass", now))
        fired += [(a.rule, a.labels.get("phase", ""), a.summary) for a in engine.evaluate(now)
                  if a.state is AlertState.FIRING]
    assert fired == [
        ("ups_on_bypass", "", "ups-3ph UPS 处于旁路供电（负载未受 UPS 保护）"),
        ("ups_input_voltage", "3", "ups-3ph UPS 输入 L3 相电压 0 V，超出 198–242 V 范围"),
        ("ups_load_high", "2", "ups-3ph UPS 输出 L2 相负载 86%，超过 80%"),
    ]
