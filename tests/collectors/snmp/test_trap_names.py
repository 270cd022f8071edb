"""Traps and polls are one series: a linkDown that carries only ifIndex (or another name than the
poller's) is labelled with the ifname of that index in the SNMP poller's last walk."""

from __future__ import annotations

import asyncio

import pytest

from collectors.snmp.client import SnmpShared
from collectors.snmp.collector import SnmpCollector
from collectors.snmp.options import SnmpOptions
from collectors.traps import TrapOptions
from collectors.traps.catalog import interface_name
from collectors.traps.receiver import TrapListener
from tests.collectors.snmp.conftest import Agent
from tests.collectors.traps.conftest import COMMUNITY, DEVICES, SWITCH, Trapd, run_listener, snmptrap

LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
IF_INDEX, IF_DESCR, IF_OPER = "1.3.6.1.2.1.2.2.1.1", "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.8"


@pytest.mark.parametrize(("varbinds", "ifname"), [
    ({f"{IF_INDEX}.7": 7, f"{IF_OPER}.7": 2}, "GE0/0/7"),                     # only the index
    ({f"{IF_INDEX}.7": 7, f"{IF_DESCR}.7": "GigabitEthernet0/0/7"}, "GE0/0/7"),  # another name
    ({f"{IF_OPER}.7": 2}, "GE0/0/7"),                                          # index in the OID
    ({f"{IF_INDEX}.9": 9, f"{IF_DESCR}.9": "GigabitEthernet0/0/9"}, "GigabitEthernet0/0/9"),  # not polled
    ({f"{IF_INDEX}.9": 9}, "if9"),
])
def test_polled_name_of_the_index_wins(varbinds: dict[str, str | int], ifname: str) -> None:
    assert interface_name(varbinds, {"7": "GE0/0/7"}) == ifname


def test_link_down_trap_updates_the_polled_series(snmpsim: Agent) -> None:
    shared = SnmpShared(4)
    options = SnmpOptions.model_validate({"community": "huawei-s5720", "timeout": "2s", "retries": 0})
    col = SnmpCollector("core-sw-1", options, address="127.0.0.1", port=snmpsim.port, shared=shared)
    polled = asyncio.run(col.collect(1.0))
    names = col.interface_names
    index, name = next((i, n) for i, n in names.items() if not n.startswith("if"))
    assert any(r.metric == "if_oper_up" and r.labels["ifname"] == name for r in polled)

    trap_options = TrapOptions(enabled=True, address="127.0.0.1", port=0, communities=[COMMUNITY])
    trapd = Trapd(TrapListener(trap_options, DEVICES, device="nms",
                               interfaces=lambda device: names if device == "core-sw-1" else None))
    halt = run_listener(trapd.listener, trapd.emit)
    try:
        trapd.wait_for(lambda: trapd.listener.bound is not None)
        assert trapd.listener.bound is not None
        snmptrap(trapd.listener.bound[1], "-v", "2c", "-c", COMMUNITY, "", LINK_DOWN,
                 f"{IF_INDEX}.{index}", "i", index, f"{IF_OPER}.{index}", "i", "2", source=SWITCH)
        trapd.wait_for(lambda: bool(trapd.traps()))
    finally:
        halt()
    [reading] = trapd.traps()
    assert (reading.metric, reading.value, reading.labels["ifname"]) == ("if_oper_up", 0.0, name)
