"""Register maps: every shipped map loads, reads are batched into blocks, every type decodes."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from collectors.modbus.maps import RegisterSpec, decode, load_map, plan, shipped_maps
from collectors.modbus.options import ModbusOptions
from monitor.core.errors import ConfigError


def spec(**kw: object) -> RegisterSpec:
    return RegisterSpec.model_validate({"metric": "x", **kw})


def test_every_shipped_map_loads_and_names_its_source() -> None:
    names = shipped_maps()
    assert {"xy-md02", "renke-rs-ws-n01", "airedale-pco", "clever-mpro"} <= set(names)
    for name in names:
        m = load_map(name)
        assert m.name == name and m.source and m.registers


def test_contiguous_registers_are_one_request_and_functions_never_mix() -> None:
    specs = [spec(address=a) for a in (0, 1, 2, 5)] + [spec(address=3, function="input"),
                                                       spec(address=0, function="coil")]
    blocks = plan(specs)
    assert [(b.function, b.start, b.count) for b in blocks] == [
        ("coil", 0, 1), ("holding", 0, 3), ("holding", 5, 1), ("input", 3, 1)]
    gap = plan(specs, max_gap=2)
    assert [(b.function, b.start, b.count) for b in gap if b.function == "holding"] == [("holding", 0, 6)]


def test_a_block_never_exceeds_the_request_limit_and_32_bit_values_stay_whole() -> None:
    specs = [spec(address=a, type="uint32") for a in range(0, 20, 2)]
    blocks = plan(specs, max_registers=7)
    assert all(b.count <= 7 for b in blocks)
    assert sum(len(b.specs) for b in blocks) == 10
    assert [b.count for b in blocks] == [6, 6, 6, 2]


def _words(fmt: str, value: float) -> list[int]:
    raw = struct.pack(fmt, value)
    return [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]


@pytest.mark.parametrize(("kind", "order", "value"), [
    ("int16", "big", -123), ("uint16", "big", 65000), ("int32", "big", -70000),
    ("int32", "little", -70000), ("uint32", "big", 4_000_000_000), ("uint32", "little", 123456789),
    ("float32", "big", 21.5), ("float32", "little", -3.25)])
def test_types_and_word_orders_decode(kind: str, order: str, value: float) -> None:
    fmt = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f"}[kind]
    words = _words(fmt, value)
    if order == "little":
        words.reverse()
    s = spec(address=10, type=kind, word_order=order)
    (reading,) = decode(plan([s])[0], words, 1.0)
    assert reading.value == value


def test_scale_offset_bits_maps_and_ignored_values() -> None:
    specs = [spec(address=0, type="int16", scale=0.1, offset=-40, labels={"sensor": "a"}),
             spec(metric="ac_alarm", address=1, bit=3, labels={"alarm": "fan"}),
             spec(metric="ac_running", address=2, map={"1": 1, "2": 0}),
             spec(metric="t", address=3, ignore=[32767])]
    (block,) = plan(specs)
    got = {(r.metric, tuple(r.labels.items())): r.value for r in decode(block, [650, 0b1000, 2, 32767], 5.0)}
    assert got == {("x", (("sensor", "a"),)): 25.0, ("ac_alarm", (("alarm", "fan"),)): 1.0,
                   ("ac_running", ()): 0.0}
    # An unmapped enumeration value is dropped, not reported as some number.
    assert [r.metric for r in decode(block, [650, 0, 7, 1], 5.0)] == ["x", "ac_alarm", "t"]


def test_bad_entries_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="type must be bool"):
        spec(address=0, function="coil", type="int16")
    with pytest.raises(ValueError, match="bit needs a 16-bit"):
        spec(address=0, type="int32", bit=2)
    with pytest.raises(ValueError, match="runs past address 65535"):
        spec(address=65535, type="float32")


def test_a_site_map_file_is_loaded_by_path_and_its_mistakes_named(tmp_path: Path) -> None:
    good = tmp_path / "room.toml"
    good.write_text('name = "room"\nsource = "our 动环 vendor sheet"\n'
                    '[[registers]]\nmetric = "water_leak"\naddress = 4\nfunction = "discrete"\n'
                    'labels = { zone = "north" }\n', encoding="utf-8")
    assert ModbusOptions(map=str(good)).map == str(good)
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nsource = "x"\n[[registers]]\nmetric = "t"\naddress = 70000\n',
                   encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_map(str(bad))
    assert f"{bad}: registers.0.address" in err.value.problems[0]
    with pytest.raises(ValueError, match="no such file"):
        ModbusOptions(map="no-such-map")
    with pytest.raises(ValueError, match="give map"):
        ModbusOptions()
