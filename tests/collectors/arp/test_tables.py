"""Switch/router tables join the observation stream through the listener's table sources."""

from __future__ import annotations

import asyncio
from pathlib import Path

from collectors.arp import ArpOptions
from collectors.arp.sniff import ArpListener
from collectors.arp.sources import CollectorTable, StaticTable
from collectors.base import ArpTableReader
from collectors.ssh.collector import SshCollector, SshShared
from collectors.ssh.options import SshOptions
from collectors.ssh.tables import ArpEntry
from monitor import config as config_mod
from monitor import wiring
from monitor.core.bindings import Binding, Registry
from monitor.core.model import Reading

REGISTRY = Registry([Binding(ip="192.0.2.10", mac="02:00:00:00:00:10", owner="张三", switch="acc-1",
                             port="GE0/0/5")])


def test_table_rows_are_judged_like_frames() -> None:
    table = StaticTable("core-sw", interval=60.0, rows=[
        ("192.0.2.10", "0200-0000-0010", "acc-1", "GE0/0/7", 0, 1.0),    # moved off its port
        ("192.0.2.50", "02:00:00:00:00:50", "", "", 20, 1.0)])           # unknown device
    listener = ArpListener(ArpOptions(), REGISTRY, device="nms-01", tables=[table])
    got: list[Reading] = []

    async def go() -> None:
        stop = asyncio.Event()

        def emit(readings: list[Reading]) -> None:
            got.extend(readings)
            stop.set()

        await asyncio.wait_for(listener.run(emit, stop), timeout=10)

    asyncio.run(go())
    assert sorted((r.metric, r.labels["mac"], r.labels["device"]) for r in got) == [
        ("arp_mac_moved", "02:00:00:00:00:10", "acc-1"),
        ("arp_unknown_mac", "02:00:00:00:00:50", "nms-01")]
    moved = next(r for r in got if r.metric == "arp_mac_moved")
    assert moved.labels["from_port"] == "GE0/0/5" and moved.labels["owner"] == "张三"


def test_a_broken_table_does_not_stop_the_listener() -> None:
    class Broken:
        name, interval = "bad-sw", 60.0

        async def read(self, now: float) -> list:
            raise OSError("unreachable")

    listener = ArpListener(ArpOptions(), REGISTRY, device="nms-01", tables=[Broken()])

    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(listener.run(lambda r: None, stop))
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, timeout=10)

    asyncio.run(go())


def test_an_ssh_collector_gives_its_last_arp_table_as_a_source(tmp_path: Path) -> None:
    ssh = SshCollector("core-sw1", SshOptions(device_type="huawei", username="u", password="pw-123456"),
                       address="192.0.2.1", shared=SshShared.create(tmp_path, []))
    ssh.arp = [ArpEntry(ip="192.0.2.10", mac="02:00:00:00:00:10", interface="Vlanif20", vlan="20"),
               ArpEntry(ip="192.0.2.11", mac="02:00:00:00:00:11", interface="GE0/0/1", vlan="")]
    assert isinstance(ssh, ArpTableReader)
    got = asyncio.run(CollectorTable(name="core-sw1", interval=60.0, reader=ssh).read(5.0))
    assert [(o.ip, o.mac, o.switch, o.port, o.vlan, o.ts, o.source) for o in got] == [
        ("192.0.2.10", "02:00:00:00:00:10", "core-sw1", "", 20, 5.0, "ssh"),
        ("192.0.2.11", "02:00:00:00:00:11", "core-sw1", "", 0, 5.0, "ssh")]


def test_wiring_joins_the_tables_of_every_collector_that_reads_one(tmp_path: Path) -> None:
    (tmp_path / "bindings.csv").write_text("ip,mac\n192.0.2.10,02:00:00:00:00:10\n", encoding="utf-8")
    path = tmp_path / "r.toml"
    path.write_text(
        f'state_dir = "{tmp_path}/state"\n[bindings]\nfile = "bindings.csv"\n[arp]\ninterfaces = []\n'
        '[[devices]]\nname = "nms"\nkind = "server"\nlocal = {}\n'
        '[[devices]]\nname = "th"\nkind = "sensor"\nexec = { command = ["true"] }\n'
        '[[devices]]\nname = "sw-ssh"\nkind = "switch"\naddress = "192.0.2.1"\n'
        'ssh = { device_type = "huawei", username = "u", password = "pw-123456" }\n'
        '[[devices]]\nname = "sw-snmp"\nkind = "switch"\naddress = "192.0.2.2"\n'
        'snmp = { community = "c-123456" }\n', encoding="utf-8")
    settings, _ = config_mod.load(path)
    [listener] = wiring.build_listeners(settings, wiring.build_jobs(settings))
    assert isinstance(listener, ArpListener)
    assert [(t.name, type(t.reader).__name__) for t in listener.tables] == [
        ("sw-ssh", "SshCollector"), ("sw-snmp", "SnmpCollector")]
