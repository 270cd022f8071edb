"""The registry: CSV files with every kind of bad row, allow-list entries, lookups, round trip."""

from __future__ import annotations

import os
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from monitor import config
from monitor.core import bindings
from monitor.core.bindings import Allow, AllowKind, Binding, Registry
from monitor.core.errors import ConfigError

DATA = Path(__file__).parent / "data" / "bindings"
SUBNETS = [IPv4Network("192.0.2.0/24")]


@pytest.mark.parametrize("name", sorted(p.stem for p in DATA.glob("*.expected")))
def test_bad_files_report_every_problem_with_its_line(name: str) -> None:
    path = DATA / f"{name}.csv"
    _, problems = bindings.parse_csv(path.read_bytes(), path.name, SUBNETS)
    expected = DATA / f"{name}.expected"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text("\n".join(problems) + "\n", encoding="utf-8")
    assert problems == expected.read_text(encoding="utf-8").splitlines()


def test_bad_rows_lose_nothing_good() -> None:
    rows, _ = bindings.parse_csv((DATA / "bad_rows.csv").read_bytes(), "x", SUBNETS)
    assert [(b.hostname, b.line) for b in rows] == [("ok-1", 2), ("ok-2", 17)]


def test_excel_export_with_bom_and_mac_spellings() -> None:
    rows, problems = bindings.parse_csv((DATA / "good_bom.csv").read_bytes(), "good_bom.csv", SUBNETS)
    assert problems == []
    assert [(b.ip, b.mac, b.owner, b.vlan, b.port) for b in rows] == [
        ("192.0.2.10", "3c:52:82:1a:2b:3c", "张三", 20, "GE0/0/5"),
        ("192.0.2.11", "3c:52:82:1a:2b:3d", "李四", 20, "GE0/0/6"),
        ("192.0.2.12", "3c:52:82:1a:2b:3e", "", None, ""),
    ]
    assert rows[1].note == "备注, 含逗号"


def test_chinese_headers_without_bom() -> None:
    rows, problems = bindings.parse_csv((DATA / "good_chinese_nobom.csv").read_bytes(), "x", SUBNETS)
    assert problems == [] and rows[0].owner == "王五" and rows[0].department == "信息中心"


def test_export_round_trips_and_excel_sees_a_bom() -> None:
    rows, _ = bindings.parse_csv((DATA / "good_bom.csv").read_bytes(), "x", SUBNETS)
    data = bindings.to_csv(rows)
    assert data.startswith(b"\xef\xbb\xbfip,mac,hostname")
    again, problems = bindings.parse_csv(data, "x", SUBNETS)
    assert problems == [] and [(b.ip, b.mac, b.note, b.vlan) for b in again] == [
        (b.ip, b.mac, b.note, b.vlan) for b in rows]
    assert not bindings.to_csv(rows, bom=False).startswith(b"\xef")


def test_load_names_the_file_and_raises_with_all_rows(tmp_path: Path) -> None:
    settings = bindings.BindingsSettings(subnets=SUBNETS)
    with pytest.raises(ConfigError) as err:
        bindings.load(DATA / "bad_rows.csv", settings)
    assert len(err.value.problems) == 14 and all("bad_rows.csv:" in p for p in err.value.problems)
    with pytest.raises(ConfigError, match="cannot read the bindings registry"):
        bindings.load(tmp_path / "missing.csv", settings)


def test_allow_entries_validate_and_fill_virtual_mac_ranges() -> None:
    vrrp = Allow(kind=AllowKind.VRRP)
    assert vrrp.mac == ["00:00:5e:00:01:*"] and vrrp.covers_mac("00:00:5e:00:01:0a")
    hsrp = Allow(kind="hsrp", ip="192.0.2.0/24")
    assert hsrp.covers_mac("00:00:0c:07:ac:01") and hsrp.covers_ip("192.0.2.9")
    assert not hsrp.covers_ip("198.51.100.1")
    gw = Allow(kind="gateway", ip="192.0.2.1", mac=["3C-52-82-00-00-01"])
    assert gw.mac == ["3c:52:82:00:00:01"]


BAD_ALLOW = """\
[[bindings.allow]]
kind = "gateway"
ip = "192.0.2.0/24"
mac = ["02:00:00:00:00:01"]

[[bindings.allow]]
kind = "router"

[[bindings.allow]]
kind = "proxy_arp"
ip = "192.0.2.999"

[[bindings.allow]]
kind = "dhcp_pool"
ip = "192.0.2.128/25"
mac = ["nonsense"]
"""


def test_bad_allow_entries_are_reported_with_where(tmp_path: Path) -> None:
    path = tmp_path / "rw.toml"
    path.write_text(BAD_ALLOW + '[bindings]\nsubnets = ["192.0.2.0/33"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert err.value.problems == [
        "rw.toml: bindings.subnets: '192.0.2.0/33' is not an IPv4 network ('33' is not a valid netmask)",
        "rw.toml: bindings.allow[0]: a gateway needs one ip address and its mac(s)",
        "rw.toml: bindings.allow[1].kind: 'router' is not one of gateway, vrrp, hsrp, proxy_arp, dhcp_pool",
        "rw.toml: bindings.allow[2].ip: '192.0.2.999' is not an IPv4 address or network",
        "rw.toml: bindings.allow[3].mac: 'nonsense' is not a MAC address",
    ]


def test_relative_registry_path_is_beside_the_config(tmp_path: Path) -> None:
    path = tmp_path / "rw.toml"
    path.write_text('[bindings]\nfile = "bindings.csv"\n', encoding="utf-8")
    settings, _ = config.load(path)
    assert settings.bindings.file == tmp_path / "bindings.csv"


def test_registry_lookups() -> None:
    reg = Registry(
        [Binding(ip="192.0.2.10", mac="02:00:00:00:00:10", switch="sw", port="1")],
        [Allow(kind="gateway", ip="192.0.2.1", mac=["02:00:00:00:00:01"]),
         Allow(kind="proxy_arp", ip="192.0.2.64/26", mac=["02:00:00:00:00:fe"]),
         Allow(kind="dhcp_pool", ip="192.0.2.128/25")])
    assert reg.by_ip("192.0.2.10") and reg.by_mac("02:00:00:00:00:10") and reg.at_port("sw", "1")
    assert reg.is_gateway("192.0.2.1") and not reg.is_gateway("192.0.2.10")
    assert reg.may_claim("192.0.2.1", "02:00:00:00:00:01")
    assert reg.may_claim("192.0.2.70", "02:00:00:00:00:fe")
    assert not reg.may_claim("192.0.2.7", "02:00:00:00:00:fe")
    assert reg.known_mac("02:00:00:00:00:fe") and not reg.known_mac("02:00:00:00:00:99")
    assert reg.in_pool("192.0.2.200") and not reg.in_pool("192.0.2.20")
    assert bindings.normalize_mac("3c52-821a-2b3c") == "3c:52:82:1a:2b:3c"
    assert bindings.normalize_mac("3c:52:82:1a:2b") is None
