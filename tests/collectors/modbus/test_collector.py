"""The Modbus collector against pymodbus's own server on 127.0.0.1: each shipped map with the
device's raw register values, exception answers, short answers, and a server that stops answering."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from collectors.modbus.collector import ModbusCollector
from collectors.modbus.gateway import ModbusShared
from collectors.modbus.options import ModbusOptions
from monitor.core.errors import CollectError
from monitor.scheduler import Job, collect_once
from tests.collectors.modbus.server import modbus_server
from tests.procs import free_port

# Per shipped map: what the device holds (function -> address -> raw word or bit), and the
# readings that must come out: (metric, labels) -> value.
GOLDEN: dict[str, tuple[dict[str, dict[int, Any]], dict[tuple[str, tuple[tuple[str, str], ...]], float]]] = {
    "xy-md02": ({"input": {1: 0xFFE7, 2: 455}},  # -2.5 °C as the transmitter sends it
                {("temperature_celsius", (("sensor", "xy-md02"),)): -2.5,
                 ("humidity_percent", (("sensor", "xy-md02"),)): 45.5}),
    "renke-rs-ws-n01": ({"holding": {0: 612, 1: 238}},
                        {("humidity_percent", (("sensor", "rs-ws-n01"),)): 61.2,
                         ("temperature_celsius", (("sensor", "rs-ws-n01"),)): 23.8}),
    "airedale-pco": (
        {"coil": {23: 0, 31: 0, 35: 0, 37: 1, 57: 1, 59: 0, 78: 0, 154: 1, 157: 0},
         "holding": {34: 480, 35: 265, 36: 182, 48: 240}},
        {("ac_running", (("unit", "1"),)): 1.0,
         ("ac_alarm", (("unit", "1"), ("alarm", "critical"))): 0.0,
         ("ac_alarm", (("unit", "1"), ("alarm", "high_pressure"))): 0.0,
         ("ac_alarm", (("unit", "1"), ("alarm", "fan_trip"))): 0.0,
         ("ac_alarm", (("unit", "1"), ("alarm", "high_return_temperature"))): 1.0,
         ("ac_alarm", (("unit", "1"), ("alarm", "high_supply_temperature"))): 0.0,
         ("ac_alarm", (("unit", "1"), ("alarm", "air_flow"))): 0.0,
         ("smoke_detected", (("zone", "ac-1"),)): 0.0,
         ("water_leak", (("zone", "ac-1"),)): 1.0,
         ("humidity_percent", (("sensor", "ac-1-return"),)): 48.0,
         ("ac_return_temperature_celsius", (("unit", "1"),)): 26.5,
         ("ac_supply_temperature_celsius", (("unit", "1"),)): 18.2,
         ("ac_setpoint_celsius", (("unit", "1"),)): 24.0}),
    "clever-mpro": (
        {"holding": {**{101 + i: v for i, v in enumerate([2301, 1234, 0, 0, 0, 0, 0, 0, 0, 0])},
                     **{111 + i: v for i, v in enumerate([2298, 1560, 0, 0, 0, 0, 0, 0, 0, 0])},
                     **{121 + i: v for i, v in enumerate([2305, 87, 0, 0, 0, 0, 0, 0, 0, 0])},
                     1951: 236, 1952: 0, 1953: 0, 1954: 0, 1955: 512, 1956: 0, 1957: 0, 1958: 0,
                     1971: 1, 1972: 0, 1973: 0, 1974: 0}},
        {("pdu_phase_current_amperes", (("phase", "1"),)): 12.34,
         ("pdu_phase_current_amperes", (("phase", "2"),)): 15.6,
         ("pdu_phase_current_amperes", (("phase", "3"),)): 0.87,
         ("temperature_celsius", (("sensor", "probe-1"),)): 23.6,  # probe-2 reads 0: not plugged in
         ("humidity_percent", (("sensor", "probe-1"),)): 51.2,
         ("door_open", (("door", "door-1"),)): 1.0,
         ("door_open", (("door", "door-2"),)): 0.0,
         ("water_leak", (("zone", "pdu"),)): 0.0,
         ("smoke_detected", (("zone", "pdu"),)): 0.0}),
}


def collector(port: int, **options: Any) -> ModbusCollector:
    return ModbusCollector("dev", ModbusOptions.model_validate(options), address="127.0.0.1", port=port)


Key = tuple[str, tuple[tuple[str, str], ...]]


async def collect(c: ModbusCollector, now: float = 100.0) -> dict[Key, float]:
    try:
        return {(r.metric, tuple(r.labels.items())): r.value for r in await c.collect(now)}
    finally:
        await c.close()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_each_shipped_map_reads_its_device(name: str) -> None:
    values, expected = GOLDEN[name]
    with modbus_server(values, unit=5) as server:
        got = asyncio.run(collect(collector(server.port, map=name, unit_id=5)))
        # The map's registers travel in as few requests as their addresses allow.
        requests = server.requests
    assert got == expected
    assert requests == len(collector(1, map=name).blocks)


def test_every_shipped_map_has_golden_values() -> None:
    from collectors.modbus.maps import shipped_maps

    assert set(shipped_maps()) == set(GOLDEN)


def test_inline_registers_and_rtu_unit_behind_a_gateway() -> None:
    regs = [{"metric": "door_open", "address": 0, "function": "discrete", "labels": {"door": "正门"}},
            {"metric": "door_forced", "address": 1, "function": "discrete", "labels": {"door": "正门"}},
            {"metric": "pdu_load_percent", "address": 0, "function": "input", "type": "float32",
             "word_order": "little"}]
    with modbus_server({"discrete": {0: 1, 1: 0}, "input": {0: 0x0000, 1: 0x4234}}, unit=17) as server:
        got = asyncio.run(collect(collector(server.port, registers=regs, unit_id=17)))
    assert got == {("door_open", (("door", "正门"),)): 1.0, ("door_forced", (("door", "正门"),)): 0.0,
                   ("pdu_load_percent", ()): 45.0}


def test_rtu_frames_through_a_transparent_serial_gateway() -> None:
    values, expected = GOLDEN["renke-rs-ws-n01"]
    with modbus_server(values, unit=9, rtu=True) as server:
        got = asyncio.run(collect(collector(server.port, map="renke-rs-ws-n01", unit_id=9, framing="rtu")))
    assert got == expected


def test_devices_behind_one_gateway_share_its_connection() -> None:
    values, expected = GOLDEN["xy-md02"]
    shared = ModbusShared()
    with modbus_server(values, unit=0) as server:  # unit 0: the server answers every unit id
        units = [ModbusCollector(f"th-{u}", ModbusOptions(map="xy-md02", unit_id=u), address="127.0.0.1",
                                 port=server.port, shared=shared) for u in (1, 2, 3)]

        async def poll() -> list[list[Any]]:
            got = [await asyncio.gather(*(c.collect(float(r)) for c in units)) for r in range(2)]
            for c in units:
                await c.close()
            return [g for rnd in got for g in rnd]

        results = asyncio.run(poll())
        connections = server.connections
    assert all({(r.metric, tuple(r.labels.items())): r.value for r in rs} == expected for rs in results)
    assert connections == 1  # six polls of three units, one TCP connection to the gateway


def test_an_exception_answer_is_a_clear_error_and_up_0() -> None:
    with modbus_server({"holding": {0: 612}}) as server:  # the map also wants register 1
        job = Job(device="th", labels={"device": "th"}, interval=10, timeout=5,
                  collector=collector(server.port, map="renke-rs-ws-n01", timeout="1s"))
        with pytest.raises(CollectError, match=r"holding 0–1: exception 2: illegal data address"):
            asyncio.run(collect(collector(server.port, map="renke-rs-ws-n01", timeout="1s")))
        readings = asyncio.run(collect_once(job, 1.0))
    assert [(r.metric, r.value) for r in readings] == [("up", 0.0)]


def test_a_short_answer_is_refused_not_misread() -> None:
    with modbus_server(GOLDEN["renke-rs-ws-n01"][0]) as server:
        server.short = True
        with pytest.raises(CollectError, match="short answer, 1 of 2 registers"):
            asyncio.run(collect(collector(server.port, map="renke-rs-ws-n01", timeout="1s")))


def test_nobody_listening_is_a_clear_error() -> None:
    with pytest.raises(CollectError, match=r"127.0.0.1:\d+ unit 1\) map xy-md02: cannot connect"):
        asyncio.run(collect(collector(free_port(), map="xy-md02", timeout="1s")))


def test_a_server_that_stops_answering_is_up_0_on_time_and_delays_nobody() -> None:
    good_values, _ = GOLDEN["xy-md02"]
    with modbus_server(GOLDEN["renke-rs-ws-n01"][0]) as dying, modbus_server(good_values) as good:
        dead = collector(dying.port, map="renke-rs-ws-n01", timeout="0.5s", retries=1)
        fine = collector(good.port, map="xy-md02", timeout="0.5s")
        jobs = [Job(device=name, labels={"device": name}, collector=c, interval=10, timeout=5)
                for name, c in (("dead", dead), ("fine", fine))]

        async def scenario() -> tuple[list[Any], list[float], float]:
            first = await collect_once(jobs[0], 1.0)  # answers while it still does
            dying.hang = True
            start = time.monotonic()
            done: list[float] = []

            async def timed(job: Job) -> list[Any]:
                out = await collect_once(job, 2.0)
                done.append(time.monotonic() - start)
                return out

            results = await asyncio.gather(timed(jobs[0]), timed(jobs[1]))
            dying.hang = False
            dying.release.set()
            for job in jobs:
                await job.collector.close()
            return [first, *results], done, time.monotonic() - start

        (first, hung, other), done, _ = asyncio.run(scenario())
    up = {r.metric: r.value for r in first}
    assert up["up"] == 1.0
    assert [(r.metric, r.value) for r in hung] == [("up", 0.0)]
    assert {r.metric: r.value for r in other}["up"] == 1.0
    # The good device finished long before the dead one gave up; the dead one gave up within
    # its timeout × tries (0.5 s × 2) and a margin, not the job's 5 s.
    assert min(done) < 0.5
    assert max(done) < 2.0


def test_the_device_is_read_again_once_it_answers() -> None:
    values, expected = GOLDEN["xy-md02"]
    with modbus_server(values) as server:
        c = collector(server.port, map="xy-md02", timeout="0.3s", retries=0)

        async def scenario() -> tuple[str, dict[Any, float]]:
            server.short = True
            try:
                await c.collect(1.0)
                failed = ""
            except CollectError as err:
                failed = str(err)
            server.short = False
            return failed, await collect(c, 2.0)

        failed, got = asyncio.run(scenario())
    assert "short answer" in failed and got == expected
