"""interface_roles: marked interfaces of a real recording carry role = "uplink", and the shipped
rule uplink_down fires, through the rule engine, for the marked uplink that is down only."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import ValidationError

from collectors.snmp.collector import SnmpCollector
from collectors.snmp.options import SnmpOptions
from monitor.core.model import AlertState, Reading
from monitor.scheduler import Job, collect_once
from rules.engine import Engine
from rules.loader import load_pack
from tests.collectors.snmp.conftest import Agent

# cisco-c3560: Gi0/1 is down, Gi0/49 and Gi0/50 (the SFP uplink ports) are up.
ROLES = {"GigabitEthernet0/1": "uplink",   # by ifDescr
         "Gi0/49": "uplink",               # by ifName
         "GigabitEthernet0/50": "uplink",
         "Gi9/99": "uplink"}               # no such port: logged, nothing else


def test_uplink_down_fires_for_the_marked_down_uplink(snmpsim: Agent,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    options = SnmpOptions.model_validate({"community": "cisco-c3560", "timeout": "2s", "retries": 0,
                                          "interface_roles": ROLES})
    col = SnmpCollector("access-sw", options, address="127.0.0.1", port=snmpsim.port)
    job = Job(device="access-sw", labels={"device": "access-sw", "kind": "switch"}, collector=col,
              interval=60, timeout=10)

    async def polls() -> list[list[Reading]]:
        return [await collect_once(job, t) for t in (1000.0, 1070.0)]

    with caplog.at_level(logging.WARNING):
        first, second = asyncio.run(polls())
    assert caplog.text.count("Gi9/99") == 1  # once, not every poll
    roles = {(r.labels["ifname"], r.labels.get("role")) for r in second if r.metric == "if_oper_up"}
    assert {name for name, role in roles if role} == {"Gi0/1", "Gi0/49", "Gi0/50"}
    assert all(r.labels.get("role") == "uplink" for r in second
               if r.metric.startswith("if_") and r.labels["ifname"] == "Gi0/49")

    engine = Engine(load_pack("regulation"))
    engine.ingest(first)
    engine.evaluate(1000.0)
    engine.ingest(second)
    alerts = [a for a in engine.evaluate(1070.0) if a.rule == "uplink_down"]
    assert [(a.labels["ifname"], a.state) for a in alerts] == [("Gi0/1", AlertState.FIRING)]


def test_unmarked_device_has_no_role_labels(snmpsim: Agent) -> None:
    options = SnmpOptions.model_validate({"community": "cisco-c3560", "timeout": "2s", "retries": 0})
    got = asyncio.run(SnmpCollector("sw", options, address="127.0.0.1", port=snmpsim.port).collect(1.0))
    assert not any("role" in r.labels for r in got)


def test_role_values_are_checked() -> None:
    with pytest.raises(ValidationError, match="role 'Up Link' must be a short lower-case word"):
        SnmpOptions.model_validate({"community": "c", "interface_roles": {"Gi0/1": "Up Link"}})
