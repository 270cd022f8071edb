"""ARP and forwarding-database tables over SNMP, from real switch recordings."""

from __future__ import annotations

import asyncio

from collectors.snmp.options import SnmpOptions
from collectors.snmp.tables import ArpEntry, FdbEntry, arp_entries, fdb_entries
from tests.collectors.snmp.conftest import Agent


def opts(community: str) -> SnmpOptions:
    return SnmpOptions(community=community, timeout=2, retries=0)  # type: ignore[arg-type]


def test_huawei_arp_and_fdb(snmpsim: Agent) -> None:
    arp = asyncio.run(arp_entries("127.0.0.1", opts("huawei-s5720"), port=snmpsim.port))
    fdb = asyncio.run(fdb_entries("127.0.0.1", opts("huawei-s5720"), port=snmpsim.port))
    assert len(arp) == 49 and len(fdb) == 48
    assert arp[0] == ArpEntry(ip="10.20.101.1", mac="30:d1:7e:b3:32:65", ifindex=42, ifname="Vlanif200",
                              vlan=200)
    assert FdbEntry(mac="00:0b:86:a9:56:c0", port="XGigabitEthernet0/0/1", ifindex=34, vlan=0) in fdb


def test_ruijie_q_bridge_fdb_has_vlans(snmpsim: Agent) -> None:
    fdb = asyncio.run(fdb_entries("127.0.0.1", opts("ruijie-s5750-24gt12sfp"), port=snmpsim.port))
    assert len(fdb) == 381
    assert FdbEntry(mac="00:1a:a9:c2:42:b9", port="Gi0/16", ifindex=16, vlan=1) in fdb


def test_device_without_tables_gives_empty_lists(snmpsim: Agent) -> None:
    assert asyncio.run(arp_entries("127.0.0.1", opts("minimal"), port=snmpsim.port)) == []
    assert asyncio.run(fdb_entries("127.0.0.1", opts("minimal"), port=snmpsim.port)) == []


def test_a_polled_switch_arp_table_feeds_the_ip_mac_stream(snmpsim: Agent) -> None:
    from collectors.arp.sources import CollectorTable
    from collectors.snmp.collector import SnmpCollector

    collector = SnmpCollector("core-sw", opts("huawei-s5720"), address="127.0.0.1", port=snmpsim.port)
    observations = asyncio.run(CollectorTable(name="core-sw", interval=60, reader=collector).read(100.0))
    assert len(observations) == 49
    first = observations[0]
    assert (first.ip, first.mac, first.switch, first.vlan, first.source) == (
        "10.20.101.1", "30:d1:7e:b3:32:65", "core-sw", 200, "snmp")


def test_cisco_fdb_per_vlan_community(snmpsim: Agent) -> None:
    # cisco-c3560 lists VLANs 1, 2, 3, 1119 (and the reserved 1002-1005) in CISCO-VTP-MIB; its
    # per-VLAN bridge views are our cisco-c3560@N recordings (snmpsim-data has none).
    fdb = asyncio.run(fdb_entries("127.0.0.1", opts("cisco-c3560"), port=snmpsim.port))
    assert sorted(fdb, key=lambda e: e.mac) == [
        FdbEntry(mac="00:0b:86:a9:56:c0", port="Gi0/7", ifindex=10107, vlan=3),
        FdbEntry(mac="00:1a:a9:c2:42:b9", port="Gi0/5", ifindex=10105, vlan=2),
        FdbEntry(mac="00:e0:fc:12:34:56", port="Gi0/49", ifindex=10149, vlan=2),
    ]  # the self(4) row on bridge port 0 is not a host
