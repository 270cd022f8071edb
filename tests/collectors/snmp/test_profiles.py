"""Profile files: every shipped one loads; bad files are reported with file and field, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.snmp.profiles import load_profiles, select
from monitor.core.errors import ConfigError


def test_shipped_profiles_load_and_select() -> None:
    profiles = load_profiles()
    assert {"generic", "huawei-vrp", "h3c-comware", "cisco", "apc-ups", "phoenixtec", "huawei-ups",
            "geist", "ups-mib", "host-resources", "entity-sensor"} <= set(profiles)
    assert select(profiles, "1.3.6.1.4.1.2011.2.23.276", "").name == "huawei-vrp"
    assert select(profiles, "1.3.6.1.4.1.8072.3.2.10", "Linux GSE200M 2.6").name == "huawei-ups"
    assert select(profiles, "1.3.6.1.4.1.99999", "").name == "generic"
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
    with pytest.raises(ConfigError) as err:
        load_profiles(tmp_path)
    text = "\n".join(err.value.problems)
    assert "a.toml: metrics.0: Value error, give exactly one of oid" in text
    assert "profile b: include: no profile named 'nope'" in text
    assert "c.toml: Invalid value (at line 1, column 8)" in text
