"""Profile files: every shipped one loads; bad files are reported with file and field, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.snmp.profiles import evaluate, load_profiles, select
from collectors.snmp.var import Var
from monitor.core.errors import ConfigError


def test_shipped_profiles_load_and_select() -> None:
    profiles = load_profiles()
    assert {"generic", "huawei-vrp", "h3c-comware", "cisco", "apc-ups", "phoenixtec", "huawei-ups",
            "geist", "ups-mib", "host-resources", "entity-sensor"} <= set(profiles)
    assert select(profiles, "1.3.6.1.4.1.2011.2.23.276", "").name == "huawei-vrp"
    assert select(profiles, "1.3.6.1.4.1.8072.3.2.10", "Linux GSE200M 2.6").name == "huawei-ups"
    assert select(profiles, "1.3.6.1.4.1.99999", "").name == "generic"
    # vendors that fell to generic before: D-Link, BDCOM, DCN/Maipu, Topsec, Fortinet, Eaton
    assert [select(profiles, oid, "").name for oid in (
        "1.3.6.1.4.1.171.10.113.3.1", "1.3.6.1.4.1.3320.1.283.0", "1.3.6.1.4.1.6339.1.1.2.29",
        "1.3.6.1.4.1.5651.1.102.16", "1.3.6.1.4.1.14331.1.4", "1.3.6.1.4.1.12356.101.1.30000",
        "1.3.6.1.4.1.705.1")] == ["dlink", "bdcom", "dcn", "dcn", "topsec", "fortinet", "eaton-ups"]
    # and ZTE, Hillstone
    assert [select(profiles, oid, "").name for oid in (
        "1.3.6.1.4.1.3902.3.100.614", "1.3.6.1.4.1.28557.1.7")] == ["zte", "hillstone"]
    # 动环 hosts: AKCP sensorProbe / securityProbe and SP+ series, NetBotz 750 and 450
    assert [select(profiles, oid, "").name for oid in (
        "1.3.6.1.4.1.3854.1", "1.3.6.1.4.1.3854", "1.3.6.1.4.1.52674.500.20.10.3000",
        "1.3.6.1.4.1.5528.100.20.10.2014")] == ["akcp-sensorprobe", "akcp-spplus", "netbotz5", "netbotz4"]
    assert "host-resources" in profiles["generic"].sources


def test_site_profile_adds_a_vendor_sensor(tmp_path: Path) -> None:
    (tmp_path / "dh.toml").write_text(
        'name = "dh-controller"\n[match]\nsys_object_id = ["1.3.6.1.4.1.99999"]\n'
        '[[metrics]]\nmetric = "temperature_celsius"\noid = "1.3.6.1.4.1.99999.1.1.0"\n'
        'scale = 0.1\nset = { sensor = "room1" }\n', encoding="utf-8")
    profiles = load_profiles(tmp_path)
    assert select(profiles, "1.3.6.1.4.1.99999.7", "").name == "dh-controller"


def test_bad_profiles_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('name = "a"\n[[metrics]]\nmetric = "x"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('name = "b"\ninclude = ["nope"]\n', encoding="utf-8")
    (tmp_path / "c.toml").write_text("name = \n", encoding="utf-8")
    (tmp_path / "d.toml").write_text(
        'name = "d"\n[[metrics]]\nmetric = "x"\ncolumn = "1.3.6.1.4.1.9.1"\n'
        'where = { column = "1.3.6.1.4.1.9.2", match = "(unclosed" }\n'
        '[[metrics]]\nmetric = "y"\ncolumn = "1.3.6.1.4.1.9.1"\n'
        'where = { column = "1.3.6.1.4.1.9.2", match = "x", in = ["1"] }\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_profiles(tmp_path)
    text = "\n".join(err.value.problems)
    assert "a.toml: metrics.0: Value error, give exactly one of oid" in text
    assert "profile b: include: no profile named 'nope'" in text
    assert "c.toml: Invalid value (at line 1, column 8)" in text
    assert "d.toml: metrics.0.where.0.match: Input should be a valid regular expression" in text
    assert "d.toml: metrics.1.where.0: Value error, give exactly one of in (values) or match" in text


def test_where_list_keeps_rows_that_pass_every_test(tmp_path: Path) -> None:
    """A sensor row counts only when its status is good AND its unit is °C (AKCP-style tables)."""
    (tmp_path / "w.toml").write_text(
        'name = "w"\n[[metrics]]\nmetric = "temperature_celsius"\ncolumn = "1.3.6.1.4.1.99999.1.4"\n'
        'labels = { sensor = "1.3.6.1.4.1.99999.1.2" }\n'
        'where = [{ column = "1.3.6.1.4.1.99999.1.6", in = ["2", "3"] },\n'
        '         { column = "1.3.6.1.4.1.99999.1.5", match = "^C$" }]\n', encoding="utf-8")
    profile = load_profiles(tmp_path)["w"]
    assert "1.3.6.1.4.1.99999.1.5" in profile.columns() and "1.3.6.1.4.1.99999.1.6" in profile.columns()
    rows = {"1": ("ok", "22", "C", "2"), "2": ("error", "0", "C", "7"), "3": ("fahrenheit", "77", "F", "2")}
    table = {f"1.3.6.1.4.1.99999.1.{col}": {i: Var(f"x.{i}", "INTEGER", row[pos]) for i, row in rows.items()}
             for pos, col in enumerate((2, 4, 5, 6))}
    got = evaluate(profile, {}, table, 5.0)
    assert [(r.labels, r.value) for r in got] == [({"sensor": "ok"}, 22.0)]
