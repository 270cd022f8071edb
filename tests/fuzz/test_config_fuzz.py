"""Property-based fuzzing of the config loader and the registry CSV reader (issue 13): whatever
the bytes, the only exception that may escape is roomwatch's own ConfigError."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor import config, sample, wiring
from monitor.core import bindings
from monitor.core.errors import ConfigError

SAMPLE = sample.render().encode()
# Real key names, so that generated documents reach the validators and not just "unknown key".
KEYS = ["devices", "defaults", "interval", "timeout", "jitter", "name", "kind", "address", "port",
        "level", "parent", "site", "room", "local", "exec", "snmp", "ssh", "command", "community",
        "version", "rules", "overrides", "rule", "match", "above", "below", "outside", "for", "files",
        "notify", "urls", "receivers", "routes", "store", "sqlite", "retention", "log", "level",
        "bindings", "file", "subnets", "allow", "links", "maintenance", "traps", "state_dir",
        "_env_file", "design_runtime_minutes", "device_type", "username", "password", "severity"]
SCALARS = st.one_of(
    st.sampled_from(["switch", "server", "local", "1.2.3.4", "999.1.1.1", "5m", "1e308", "inf", "env:X",
                     "file:/nonexistent", "json://127.0.0.1:9/", "regulation", "device=x", "../../x",
                     "core-sw-1", "", "2c", "linux", "room_temperature", "\x00", "机房"]),
    st.text(max_size=20), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)), max_leaves=25)
DOCS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])


def toml(doc: dict[str, Any]) -> str:
    """``doc`` as TOML, every table inline (enough for the loader to see any shape)."""
    return "".join(f"{json.dumps(k)} = {_value(v)}\n" for k, v in doc.items())


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) \
            else repr(value)
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in value.items()) + "}"


def _load(path: Path, data: bytes, *, whole: bool = False) -> None:
    path.write_bytes(data)
    try:
        if whole:
            wiring.load_checked(path)
        else:
            config.load(path)
    except ConfigError as err:
        assert err.problems and all(isinstance(p, str) and p for p in err.problems)


@FUZZ
@given(data=st.binary(max_size=400))
def test_any_bytes_are_a_config_or_a_config_error(tmp_path: Path, data: bytes) -> None:
    _load(tmp_path / "roomwatch.toml", data)


@FUZZ
@given(doc=DOCS)
def test_any_document_shape_is_a_config_or_a_config_error(tmp_path: Path, doc: dict[str, Any]) -> None:
    _load(tmp_path / "roomwatch.toml", toml(doc).encode(), whole=True)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.binary(max_size=4)), min_size=1,
                      max_size=6))
def test_a_damaged_sample_is_a_config_or_a_config_error(tmp_path: Path,
                                                        edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(SAMPLE)
    for at, new in edits:
        data[at:at + len(new)] = new
    _load(tmp_path / "roomwatch.toml", bytes(data))


CSV_TEXT = st.text(alphabet=st.sampled_from(list("ip,mac\"\r\n#:.-0123456789abcdefABCDEF 地址\x00\ufeff")),
                   max_size=300)


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=300),
                      CSV_TEXT.map(lambda t: ("ip,mac,vlan,switch,port\n" + t).encode())))
def test_any_registry_bytes_give_rows_and_problems_never_an_exception(data: bytes) -> None:
    rows, problems = bindings.parse_csv(data, "bindings.csv")
    assert all(p.startswith("bindings.csv") for p in problems)
    assert len({r.ip for r in rows}) == len(rows) and len({r.mac for r in rows}) == len(rows)


@pytest.mark.parametrize("size", [131_073, 5_000_000])
def test_a_registry_field_of_any_size_is_a_problem_not_a_crash(tmp_path: Path, size: int) -> None:
    path = tmp_path / "bindings.csv"
    path.write_bytes(b"ip,mac,note\n192.0.2.1,02:00:00:00:00:01,\"" + b"x" * size + b"\"\n")
    with pytest.raises(ConfigError) as err:
        bindings.load(path, bindings.BindingsSettings())
    assert err.value.problems[0].startswith(f"{path}:2: not a CSV row")
