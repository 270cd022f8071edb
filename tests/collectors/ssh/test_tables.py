"""CLI tables from recorded Huawei, H3C and Ruijie output (full and minimal variants)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.ssh import tables

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_huawei_arp_keeps_the_vlan_line() -> None:
    entries = tables.arp_table("huawei", read("huawei_display_arp.txt"))
    assert entries == [
        tables.ArpEntry("192.0.2.1", "a4:c6:4f:11:22:00", "Vlanif10", "10"),
        tables.ArpEntry("192.0.2.21", "a4:c6:4f:11:22:01", "GE0/0/3", "10"),
        tables.ArpEntry("192.0.2.22", "a4:c6:4f:11:22:02", "GE0/0/4", "10"),
        tables.ArpEntry("198.51.100.1", "a4:c6:4f:11:22:00", "Vlanif20", "20"),
        tables.ArpEntry("198.51.100.30", "3c:97:0e:55:aa:01", "GE0/0/12", "20"),
    ]


def test_h3c_arp() -> None:
    entries = tables.arp_table("hp_comware", read("hp_comware_display_arp.txt"))
    assert entries == [
        tables.ArpEntry("198.51.100.10", "a4:c6:4f:11:33:01", "GE1/0/3", "10"),
        tables.ArpEntry("198.51.100.11", "a4:c6:4f:11:33:02", "GE1/0/5", "10"),
        tables.ArpEntry("198.51.100.254", "a4:c6:4f:11:33:fe", "Vlan10", "10"),
    ]


def test_ruijie_arp() -> None:
    entries = tables.arp_table("ruijie_os", read("ruijie_show_arp.txt"))
    assert [(e.ip, e.mac, e.interface, e.vlan) for e in entries] == [
        ("192.0.2.129", "58:69:6c:12:34:00", "VLAN 10", "10"),
        ("192.0.2.140", "a4:c6:4f:11:44:01", "VLAN 10", "10"),
        ("192.0.2.141", "a4:c6:4f:11:44:02", "VLAN 10", "10"),
    ]


@pytest.mark.parametrize(
    ("dtype", "stem"),
    [("huawei", "huawei_display"), ("hp_comware", "hp_comware_display"), ("ruijie_os", "ruijie_show")],
)
def test_minimal_variants_parse_to_little_or_nothing(dtype: str, stem: str) -> None:
    arp = tables.arp_table(dtype, read(f"{stem}_arp_minimal.txt"))
    assert len(arp) <= 1
    mac_name = "mac-address-table" if dtype == "ruijie_os" else "mac-address"
    assert tables.mac_table(dtype, read(f"{stem}_{mac_name}_minimal.txt")) == []
    env_name = "temperature" if dtype == "ruijie_os" else "environment"
    temps = tables.temperatures(dtype, read(f"{stem}_{env_name}_minimal.txt"))
    assert len(temps) <= 1


def test_mac_tables() -> None:
    huawei = tables.mac_table("huawei", read("huawei_display_mac-address.txt"))
    assert huawei[0] == tables.MacEntry("a4:c6:4f:11:22:01", "10", "GE0/0/3")
    assert len(huawei) == 4
    h3c = tables.mac_table("hp_comware", read("hp_comware_display_mac-address.txt"))
    assert [e.interface for e in h3c] == ["GE1/0/3", "GE1/0/5", "GE1/0/5"]
    ruijie = tables.mac_table("ruijie_os", read("ruijie_show_mac-address-table.txt"))
    assert ruijie[1] == tables.MacEntry("a4:c6:4f:11:44:02", "10", "GigabitEthernet 0/4")


def test_temperatures() -> None:
    assert tables.temperatures("huawei", read("huawei_display_environment.txt")) == [
        tables.Temperature("0", 38.0),
        tables.Temperature("1", 41.0),
    ]
    assert tables.temperatures("hp_comware", read("hp_comware_display_environment.txt")) == [
        tables.Temperature("1/hotspot 1", 42.0),
        tables.Temperature("1/hotspot 2", 37.0),
    ]
    assert tables.temperatures("ruijie_os", read("ruijie_show_temperature.txt")) == [
        tables.Temperature("0", 39.0)
    ]


def test_interface_states() -> None:
    states = tables.interface_states("huawei", read("huawei_display_interface_brief.txt"))
    up = {s.ifname: s.up for s in states}
    assert up["GigabitEthernet0/0/1"] and not up["GigabitEthernet0/0/2"] and up["Vlanif10"]


def test_garbage_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(tables.ParseError):
        tables.arp_table("huawei", "Error: Unrecognized command found at '^' position.\n")
