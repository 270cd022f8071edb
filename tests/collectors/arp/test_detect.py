"""The detections as timeline tables: (second, observation, readings expected at that second)."""

from __future__ import annotations

from collectors.arp import ArpOptions
from collectors.arp.detect import LRU, Detector, Observation
from collectors.arp.sources import StaticTable, from_rows
from monitor.core.bindings import Allow, Binding, Registry

GW, GW_MAC, VRRP = "192.0.2.1", "02:00:00:00:00:01", "00:00:5e:00:01:01"
VIC, VIC_MAC = "192.0.2.10", "02:00:00:00:00:10"
PC2, PC2_MAC = "192.0.2.11", "02:00:00:00:00:11"
ATT_MAC = "02:00:00:00:00:66"
PROXY_MAC = "02:00:00:00:00:fe"

REGISTRY = Registry(
    [Binding(ip=VIC, mac=VIC_MAC, owner="张三", hostname="fin-pc-01", switch="acc-1", port="GE0/0/5"),
     Binding(ip=PC2, mac=PC2_MAC, owner="李四", switch="acc-1", port="GE0/0/6")],
    [Allow(kind="gateway", ip=GW, mac=[GW_MAC, VRRP]),
     Allow(kind="proxy_arp", ip="192.0.2.64/26", mac=[PROXY_MAC]),
     Allow(kind="dhcp_pool", ip="192.0.2.128/25")])


def obs(ip: str, mac: str, **kw: object) -> Observation:
    return Observation(ip=ip, mac=mac, ts=0.0, **kw)  # type: ignore[arg-type]


def run(rows: list[tuple[float, Observation, list[tuple[str, dict[str, str]]]]], **options: object) -> None:
    det = Detector(REGISTRY, ArpOptions(**options), device="nms-01")  # type: ignore[arg-type]
    for t, o, expected in rows:
        got = det.observe(o, t)
        pairs = zip(got, expected, strict=False)
        seen = [(r.metric, {k: r.labels[k] for k in want}) for r, (_, want) in pairs]
        assert seen == expected and len(got) == len(expected), f"at t={t}: {got}"
        assert all(r.ts == t and r.labels["device"] for r in got)


def test_registered_traffic_probes_and_gratuitous_arp_fire_nothing() -> None:
    run([
        (0.0, obs(VIC, VIC_MAC), []),                      # the owner asks for the gateway
        (0.1, obs(GW, GW_MAC), []),                        # the gateway answers
        (0.2, obs(GW, VRRP), []),                          # the VRRP virtual MAC answers too
        (0.3, obs("0.0.0.0", ATT_MAC), []),                # DHCP / RFC 5227 probe from anyone
        (0.4, obs(VIC, VIC_MAC), []),                      # gratuitous ARP from the owner
        (0.5, obs("192.0.2.70", PROXY_MAC), []),           # proxy ARP router inside its range
        (0.6, obs("192.0.2.200", ATT_MAC), []),            # unbound DHCP pool
    ])


def test_unknown_mac_mismatch_and_conflict() -> None:
    run([
        (0.0, obs(VIC, VIC_MAC), []),
        (1.0, obs("192.0.2.50", ATT_MAC), [("arp_unknown_mac", {"ip": "192.0.2.50", "mac": ATT_MAC})]),
        (2.0, obs(VIC, ATT_MAC), [                         # IP theft: someone else uses 张三's IP
            ("arp_unknown_mac", {"ip": VIC, "mac": ATT_MAC}),
            ("arp_ip_mismatch", {"ip": VIC, "mac": ATT_MAC, "reason": "ip_taken", "owner": "张三",
                                 "registered_mac": VIC_MAC}),
            ("arp_ip_conflict", {"ip": VIC, "mac": ATT_MAC, "other_mac": VIC_MAC})]),
        (3.0, obs("192.0.2.60", PC2_MAC), [                # 李四 set his own IP (私自修改IP)
            ("arp_ip_mismatch", {"ip": "192.0.2.60", "mac": PC2_MAC, "reason": "ip_changed",
                                 "owner": "李四", "registered_ip": PC2})]),
        (4.0, obs(VIC, ATT_MAC), []),                      # told again only after `repeat`
        (64.0, obs(VIC, ATT_MAC), [                        # still going on a minute later; the
            ("arp_unknown_mac", {"ip": VIC}),              # owner is out of the conflict window
            ("arp_ip_mismatch", {"ip": VIC, "reason": "ip_taken"})]),
        (70.0, obs(VIC, VIC_MAC), [("arp_ip_conflict", {"ip": VIC, "mac": VIC_MAC, "other_mac": ATT_MAC})]),
    ])


def test_gateway_impersonation_is_its_own_detection() -> None:
    run([
        (0.0, obs(GW, GW_MAC), []),
        (0.5, obs(GW, ATT_MAC), [("arp_gateway_spoof", {"ip": GW, "mac": ATT_MAC}),
                                 ("arp_unknown_mac", {"ip": GW, "mac": ATT_MAC})]),
        (0.6, obs(GW, VIC_MAC), [("arp_gateway_spoof", {"ip": GW, "mac": VIC_MAC, "owner": "张三"})]),
    ])


def test_proxy_arp_outside_its_range_is_a_claim_like_any_other() -> None:
    run([(0.0, obs("192.0.2.9", PROXY_MAC), []),
         (0.1, obs("192.0.2.9", "02:00:00:00:00:09"), [("arp_unknown_mac", {"ip": "192.0.2.9"}),
                                                        ("arp_ip_conflict", {"other_mac": PROXY_MAC})])])


def test_flood_fires_once_at_the_crossing_and_per_repeat() -> None:
    rows: list[tuple[float, Observation, list[tuple[str, dict[str, str]]]]] = []
    for i in range(6):
        t = i * 0.1
        expected = [("arp_flood_pps", {"mac": VIC_MAC})] if i == 4 else []
        rows.append((t, obs(VIC, VIC_MAC), expected))
    rows.append((1.2, obs(VIC, VIC_MAC), []))      # a new window starts; 1 frame
    run(rows, flood_pps=4)
    det = Detector(REGISTRY, ArpOptions(flood_pps=4), device="nms-01")
    got = [r for i in range(5) for r in det.observe(obs("0.0.0.0", ATT_MAC), i * 0.01)]
    assert [(r.metric, r.value) for r in got] == [("arp_flood_pps", 5.0)]  # probes count for floods


def test_repeated_frames_judged_at_once_count_like_one_by_one() -> None:
    # The sniffer judges a block's identical claims once, with their count: the crossing, the
    # sighting count and a conflict come out as if each frame had been judged alone.
    det = Detector(REGISTRY, ArpOptions(flood_pps=4), device="nms-01")
    assert det.observe(obs(VIC, VIC_MAC), 0.0, count=3) == []
    got = det.observe(obs(VIC, VIC_MAC), 0.01, count=3)
    assert [(r.metric, r.value) for r in got] == [("arp_flood_pps", 6.0)]  # 6 frames in the window
    assert det.observe(obs(VIC, VIC_MAC), 0.02, count=10) == []  # told once per window
    assert [s.count for s in det.sightings()] == [16]
    got = det.observe(obs(VIC, ATT_MAC), 0.03, count=2)
    assert "arp_ip_conflict" in {r.metric for r in got}


def test_mac_moved_and_extra_macs_behind_an_access_port() -> None:
    run([
        (0.0, obs(VIC, VIC_MAC, switch="acc-1", port="GE0/0/5", source="snmp"), []),
        (1.0, obs(VIC, VIC_MAC, switch="acc-1", port="GE0/0/9", source="snmp"),
         [("arp_mac_moved", {"mac": VIC_MAC, "switch": "acc-1", "port": "GE0/0/9", "from_port": "GE0/0/5",
                             "owner": "张三"})]),
        (2.0, obs("0.0.0.0", "02:00:00:00:00:77", switch="acc-1", port="GE0/0/6", source="snmp"), []),
        (3.0, obs("0.0.0.0", PC2_MAC, switch="acc-1", port="GE0/0/6", source="snmp"), []),
        (4.0, obs("0.0.0.0", "02:00:00:00:00:78", switch="acc-1", port="GE0/0/6", source="snmp"),
         [("arp_port_macs", {"switch": "acc-1", "port": "GE0/0/6", "mac": "02:00:00:00:00:78",
                             "owner": "李四"})]),
        (5.0, obs("0.0.0.0", "02:00:00:00:00:79", switch="core", port="Eth-Trunk1", source="snmp"), []),
    ])


def test_unregistered_mac_changing_port_on_one_switch() -> None:
    mac = "02:00:00:00:00:55"
    run([(0.0, obs("0.0.0.0", mac, switch="acc-2", port="1", source="snmp"), []),
         (1.0, obs("0.0.0.0", mac, switch="acc-2", port="2", source="snmp"),
          [("arp_mac_moved", {"mac": mac, "from_port": "1", "port": "2"})])])


def test_tables_are_bounded() -> None:
    det = Detector(REGISTRY, ArpOptions(table_size=16, flood_pps=1000), device="nms-01")
    for i in range(1000):
        det.observe(obs(f"198.51.100.{i % 250}", f"02:00:00:01:{i // 256:02x}:{i % 256:02x}"), float(i))
    assert len(det.seen) == 16 and len(det.sightings()) == 16
    lru: LRU[str, int] = LRU(2)
    lru.put("a", 1), lru.put("b", 2), lru.get("a"), lru.put("c", 3)
    assert lru.get("b") is None and lru.get("a") == 1


def test_table_rows_become_observations() -> None:
    rows = [("192.0.2.10", "0200.0000.0010", "acc-1", "GE0/0/5", 20, 5.0), ("", "garbage", "s", "p", 0, 1.0)]
    got = list(from_rows(rows, "snmp"))
    assert got == [Observation(ip=VIC, mac=VIC_MAC, ts=5.0, switch="acc-1", port="GE0/0/5", vlan=20,
                               source="snmp")]
    import asyncio
    table = StaticTable("core-sw", rows=[("", "02:00:00:00:00:10", "acc-1", "GE0/0/5", 0, 1.0)])
    assert asyncio.run(table.read(0.0))[0].ip == "0.0.0.0"
