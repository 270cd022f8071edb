"""Passive ARP in network namespaces: real frames from the attacker namespace, the sniffer on
the bridge. Each detection within 1 s naming the right IP/MAC; registered traffic fires nothing."""

from __future__ import annotations

from collectors.arp.sniff import parse_frame

GW, VIC, ATT = "192.0.2.1", "192.0.2.10", "192.0.2.66"
GW_MAC, VIC_MAC, ATT_MAC, VRRP = "02:00:00:00:00:01", "02:00:00:00:00:10", "02:00:00:00:00:66", \
    "00:00:5e:00:01:01"
SENTINEL = {"hwsrc": "02:00:00:00:00:99", "psrc": "192.0.2.99"}


def _metrics(readings: list[dict]) -> list[tuple[str, str, str]]:
    return sorted((r["metric"], r["labels"].get("ip", ""), r["labels"].get("mac", "")) for r in readings)


def _sentinel_seen(readings: list[dict]) -> bool:
    return any(r["labels"].get("mac") == SENTINEL["hwsrc"] for r in readings)


def test_registered_hosts_probes_and_gratuitous_arp_fire_nothing(lan, sniffer) -> None:
    lan.send("vic", [{"hwsrc": VIC_MAC, "psrc": VIC, "pdst": GW},                 # who-has gateway
                     {"hwsrc": VIC_MAC, "psrc": VIC, "pdst": VIC},                 # gratuitous, owner
                     {"hwsrc": VIC_MAC, "psrc": VIC, "pdst": VIC, "vlan": 20}])    # tagged too
    lan.send("gw", [{"hwsrc": GW_MAC, "psrc": GW, "pdst": VIC, "op": 2, "dst": VIC_MAC,
                     "hwdst": VIC_MAC},                                             # gateway answers
                    {"hwsrc": VRRP, "psrc": GW, "pdst": GW, "op": 2}])              # VRRP virtual MAC
    lan.send("att", [{"hwsrc": ATT_MAC, "psrc": "0.0.0.0", "pdst": ATT},            # DHCP probe
                     {**SENTINEL, "pdst": GW}])                                     # marks the end
    readings = sniffer.wait_for(_sentinel_seen)
    assert _metrics(readings) == [("arp_unknown_mac", "192.0.2.99", "02:00:00:00:00:99")]


def test_each_detection_fires_within_a_second_naming_ip_and_mac(lan, sniffer) -> None:
    lan.send("vic", [{"hwsrc": VIC_MAC, "psrc": VIC, "pdst": GW}])
    sent = lan.send("att", [
        {"hwsrc": ATT_MAC, "psrc": ATT, "pdst": GW, "name": "unknown"},
        {"hwsrc": ATT_MAC, "psrc": VIC, "pdst": GW, "op": 2, "name": "theft"},       # 盗用 张三's IP
        {"hwsrc": ATT_MAC, "psrc": GW, "pdst": VIC, "op": 2, "dst": VIC_MAC, "hwdst": VIC_MAC,
         "name": "spoof"},                                                           # poisons the victim
        {"hwsrc": "02:00:00:00:00:77", "psrc": "192.0.2.77", "vlan": 30, "name": "tagged"},
        {"hwsrc": "02:00:00:00:00:88", "psrc": "192.0.2.88", "repeat": 25, "name": "flood"},
        {**SENTINEL, "name": "end"}])
    readings = sniffer.wait_for(_sentinel_seen)
    when = {f["name"]: f["sent"] for f in sent}
    expect = {
        ("arp_unknown_mac", ATT, ATT_MAC): "unknown",
        ("arp_unknown_mac", VIC, ATT_MAC): "theft",
        ("arp_ip_mismatch", VIC, ATT_MAC): "theft",
        ("arp_ip_conflict", VIC, ATT_MAC): "theft",
        ("arp_gateway_spoof", GW, ATT_MAC): "spoof",
        ("arp_unknown_mac", GW, ATT_MAC): "spoof",
        ("arp_unknown_mac", "192.0.2.77", "02:00:00:00:00:77"): "tagged",
        ("arp_unknown_mac", "192.0.2.88", "02:00:00:00:00:88"): "flood",
        ("arp_flood_pps", "192.0.2.88", "02:00:00:00:00:88"): "flood",
        ("arp_unknown_mac", "192.0.2.99", "02:00:00:00:00:99"): "end",
    }
    assert _metrics(readings) == sorted(expect)
    for r in readings:
        key = (r["metric"], r["labels"]["ip"], r["labels"]["mac"])
        assert 0 <= r["at"] - when[expect[key]] < 1.0, (key, r["at"] - when[expect[key]])
    by = {(r["metric"], r["labels"]["ip"]): r for r in readings}
    assert by[("arp_ip_mismatch", VIC)]["labels"]["owner"] == "张三"
    assert by[("arp_ip_mismatch", VIC)]["labels"]["registered_mac"] == VIC_MAC
    assert by[("arp_unknown_mac", "192.0.2.77")]["labels"]["vlan"] == "30"
    assert 21 <= by[("arp_flood_pps", "192.0.2.88")]["value"] <= 25  # frames seen when it crossed 20
    assert all(r["labels"]["interface"] == "br0" and r["labels"]["device"] == "sniffer" for r in readings)


def test_parse_frame_plain_tagged_and_garbage() -> None:
    from scapy.all import ARP, IP, Dot1Q, Ether

    arp = ARP(op=2, hwsrc=ATT_MAC, psrc=GW, pdst=VIC, hwdst=VIC_MAC)
    eth = Ether(src=ATT_MAC, dst=VIC_MAC)  # explicit addresses: scapy must not resolve anything
    plain = parse_frame(bytes(eth / arp), "eth0", 1.5)
    assert plain is not None and (plain.ip, plain.mac, plain.vlan, plain.ts) == (GW, ATT_MAC, 0, 1.5)
    qinq = parse_frame(bytes(eth / Dot1Q(vlan=100, type=0x8100) / Dot1Q(vlan=20) / arp), "e", 0.0)
    assert qinq is not None and qinq.vlan == 100 and qinq.ip == GW
    assert parse_frame(bytes(eth / IP(src=VIC, dst=GW)), "e", 0.0) is None
    assert parse_frame(bytes(eth / arp)[:30], "e", 0.0) is None
    assert parse_frame(b"\x00" * 5, "e", 0.0) is None
    v6 = ARP(ptype=0x86DD, plen=16, hwsrc=ATT_MAC, hwdst=VIC_MAC, psrc="::1", pdst="::1")
    assert parse_frame(bytes(eth / v6), "e", 0.0) is None
