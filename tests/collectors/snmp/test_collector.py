"""The SNMP collector against real agents: a golden reading list per recording, the minimal
device, v3 on snmpd, a never-answering device among ten, garbage answers, no leaked secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.snmp.client import SnmpShared, Var
from collectors.snmp.collector import SnmpCollector
from collectors.snmp.options import SnmpOptions
from monitor.core.errors import CollectError
from monitor.core.model import Reading
from monitor.scheduler import Job, collect_once
from tests.collectors.snmp.conftest import V3_AUTH, V3_PRIV, V3_USER, Agent

GOLDEN = Path(__file__).parent / "golden"
# (recording, expected profile); Geist values vary (snmpsim's numeric variation): ranges only.
CASES = [
    ("huawei-s5720", "huawei-vrp"), ("h3c-comware-lsq1wcmd0", "h3c-comware"), ("cisco-c3560", "cisco"),
    ("ruijie-s5750-24gt12sfp", "ruijie"), ("sangfor-ad1800-fp2", "generic"), ("paloalto-pa-5000", "generic"),
    ("huawei-gse200m", "huawei-ups"), ("phoenixtec-power", "phoenixtec"), ("eaton-93e-80", "eaton-ups"),
    ("geist-temperature-sensor", "geist"),
    ("apc-smart-ups", "apc-ups"), ("minimal", "generic"),
    ("fortinet-xcu", "fortinet"), ("topsec-ngfw4000-uf", "topsec"), ("bdcom-s5612", "bdcom"),
    ("dcrs-5980-28t-dc", "dcn"), ("maipu-sm4200-16gef8ge-ac", "dcn"), ("dlink-des3200", "dlink"),
    ("dlink-des3038", "dlink"), ("zte-zxr10-5250", "zte"), ("hillstone-sg6000-handmade", "hillstone"),
    ("apc-ats-handmade", "apc-ats"),
]
VARYING = {"geist-temperature-sensor"}


def collector(agent: Agent, community: str, **kw: object) -> SnmpCollector:
    options = SnmpOptions.model_validate({"community": community, "timeout": "2s", "retries": 0, **kw})
    return SnmpCollector("dev", options, address="127.0.0.1", port=agent.port)


def rows(readings: list[Reading]) -> list[list[object]]:
    return sorted([[r.metric, r.labels, r.value] for r in readings], key=json.dumps)


@pytest.mark.parametrize(("name", "profile"), CASES)
def test_recording_matches_golden(snmpsim: Agent, name: str, profile: str) -> None:
    # snmpsim indexes a recording on its first request: seconds for a large one on a busy box
    col = collector(snmpsim, name, timeout="10s")
    got = asyncio.run(col.collect(1000.0))
    assert col.profile is not None and col.profile.name == profile
    path = GOLDEN / f"{name}.json"
    actual = rows(got)
    if name in VARYING:
        for metric, _labels, value in actual:
            assert metric != "temperature_celsius" or 10 <= float(value) <= 30  # type: ignore[arg-type]
            assert metric != "humidity_percent" or 0 <= float(value) <= 100  # type: ignore[arg-type]
        actual = [[m, labels, None if m in ("temperature_celsius", "humidity_percent") else v]
                  for m, labels, v in actual]
    if os.environ.get("UPDATE_GOLDEN"):
        lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in actual)
        path.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
    assert actual == json.loads(path.read_text(encoding="utf-8"))


def test_second_poll_gives_rates_and_utilisation(snmpsim: Agent) -> None:
    col = collector(snmpsim, "huawei-s5720", contracted_mbps={"XGigabitEthernet0/0/1": 8})

    async def twice() -> list[Reading]:
        await col.collect(1000.0)
        return await col.collect(1060.0)

    second = asyncio.run(twice())
    metrics = {r.metric for r in second}
    assert {"if_in_bps", "if_out_bps", "if_utilization_percent", "if_in_errors_per_second"} <= metrics
    # a static recording: counters did not move, so every rate is 0, never a spike
    assert all(r.value == 0 for r in second if r.metric.endswith("_bps"))


def test_minimal_device_gives_what_it_has(snmpsim: Agent) -> None:
    got = asyncio.run(collector(snmpsim, "minimal").collect(1.0))
    assert sorted((r.metric, r.labels.get("ifname", ""), r.value) for r in got) == [
        ("if_oper_up", "port1", 1.0), ("if_oper_up", "port2", 0.0), ("uptime_seconds", "", 42.0)]


def test_getnext_walk_matches_getbulk(snmpsim: Agent) -> None:
    bulk = asyncio.run(collector(snmpsim, "cisco-c3560").collect(1.0))
    plain = asyncio.run(collector(snmpsim, "cisco-c3560", bulk=False, version="1").collect(1.0))
    assert rows(bulk) == rows(plain)


def test_v1_walk_skips_counter64_columns(snmpsim: Agent) -> None:
    # v1 cannot carry Counter64: asked for ifHCInOctets, a v1 agent skips all its rows (and the
    # next seven columns') on every GETNEXT, slower than the timeout on a loaded machine; both
    # ifHC columns would also land on the same OID. The walk leaves them out and stays one
    # request per row.
    col = collector(snmpsim, "cisco-c3560", bulk=False, version="1")
    hc_in, if_name = "1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.31.1.1.1.1"
    asked: list[str] = []
    call = col.client._call

    async def recording(what: str, method: str, oids: list[str], *args: int | None) -> list[Var]:
        asked.extend(oids)
        return await call(what, method, oids, *args)

    col.client._call = recording  # type: ignore[method-assign]
    table = asyncio.run(col.client.walk([if_name, hc_in, "1.3.6.1.2.1.31.1.1.1.10"]))
    assert table[hc_in] == {} and len(table[if_name]) > 10
    assert not [oid for oid in asked if oid.startswith(hc_in)]
    assert col.client.requests == len(table[if_name]) + 1


def test_v3_auth_priv_on_snmpd(snmpd: Agent) -> None:
    options = SnmpOptions(version="3", user=V3_USER, auth_protocol="SHA", auth_key=V3_AUTH,  # type: ignore[arg-type]
                          priv_protocol="AES", priv_key=V3_PRIV, timeout=2, retries=0)  # type: ignore[arg-type]
    col = SnmpCollector("linux-host", options, address="127.0.0.1", port=snmpd.port)
    got = asyncio.run(col.collect(1.0))
    metrics = {r.metric for r in got}
    assert col.profile is not None and col.profile.name == "generic"
    # hrProcessorLoad is empty during snmpd's first minute, so no cpu_percent yet
    assert {"uptime_seconds", "if_oper_up", "memory_percent", "disk_used_percent"} <= metrics
    assert col.system["1.3.6.1.2.1.1.5.0"] == "roomwatch-test"


def test_v3_wrong_key_fails_without_leaking(snmpd: Agent, caplog: pytest.LogCaptureFixture) -> None:
    wrong = "Wr0ng-Key-Planted-77"
    options = SnmpOptions(version="3", user=V3_USER, auth_protocol="SHA", auth_key=wrong,  # type: ignore[arg-type]
                          priv_protocol="AES", priv_key=wrong, timeout=1, retries=0)  # type: ignore[arg-type]
    col = SnmpCollector("linux-host", options, address="127.0.0.1", port=snmpd.port)
    job = Job(device="linux-host", labels={"device": "linux-host"}, collector=col, interval=60, timeout=5)
    with caplog.at_level(logging.DEBUG):
        readings = asyncio.run(collect_once(job, 1.0))
    assert [r.value for r in readings if r.metric == "up"] == [0.0]
    assert wrong not in caplog.text


def test_wrong_community_is_down_and_never_logged(snmpd: Agent, caplog: pytest.LogCaptureFixture) -> None:
    secret = "Planted-Community-913"
    col = collector(snmpd, secret)
    with caplog.at_level(logging.DEBUG), pytest.raises(CollectError) as err:
        asyncio.run(col.collect(1.0))
    assert secret not in str(err.value) and secret not in caplog.text
    assert secret not in repr(col.options)


def test_silent_device_among_ten_delays_no_other(snmpsim: Agent, silent_port: int) -> None:
    shared = SnmpShared(16)
    order: list[str] = []
    names = ["huawei-gse200m", "phoenixtec-power", "apc-smart-ups", "minimal", "geist-temperature-sensor"] * 2
    jobs = []
    for i, name in enumerate(names[:9]):
        opts = SnmpOptions(community=name, timeout=2, retries=0)  # type: ignore[arg-type]
        jobs.append(Job(device=f"d{i}", labels={"device": f"d{i}"}, interval=60, timeout=10,
                        collector=SnmpCollector(f"d{i}", opts, address="127.0.0.1", port=snmpsim.port,
                                                shared=shared)))
    dead = SnmpOptions(community="public", timeout=3, retries=0)  # type: ignore[arg-type]
    jobs.append(Job(device="dead", labels={"device": "dead"}, interval=60, timeout=10,
                    collector=SnmpCollector("dead", dead, address="127.0.0.1", port=silent_port,
                                            shared=shared)))

    async def one(job: Job) -> list[Reading]:
        got = await collect_once(job, 1.0)
        order.append(job.device)
        return got

    async def run() -> list[list[Reading]]:
        return await asyncio.gather(*(one(j) for j in [jobs[-1], *jobs[:-1]]))

    results = asyncio.run(run())
    up = {r.labels["device"]: r.value for rs in results for r in rs if r.metric == "up"}
    assert up.pop("dead") == 0.0
    assert set(up.values()) == {1.0}
    assert order[-1] == "dead"  # the nine finished first, without waiting on its timeout


@pytest.fixture
def garbage_agent() -> Iterator[int]:
    """Answers every request with junk, a truncated BER header, then an empty datagram."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()
    answers = [b"\x00garbage\xff", b"\x30\x82\x01\x00\x02\x01", b""]

    def serve() -> None:
        n = 0
        while not stop.is_set():
            try:
                _, peer = sock.recvfrom(65535)
            except OSError:
                continue
            sock.sendto(answers[n % len(answers)], peer)
            n += 1

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(sock.getsockname()[1])
    stop.set()
    thread.join()
    sock.close()


def test_malformed_and_truncated_answers_are_a_collect_error(garbage_agent: int) -> None:
    opts = SnmpOptions(community="public", timeout=1, retries=1)  # type: ignore[arg-type]
    col = SnmpCollector("junk", opts, address="127.0.0.1", port=garbage_agent)
    with pytest.raises(CollectError, match="snmp junk"):  # net-snmp drops what it cannot parse
        asyncio.run(col.collect(1.0))
