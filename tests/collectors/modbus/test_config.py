"""A config's modbus mistakes are all reported at once, each with where it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import config
from monitor.core.errors import ConfigError

DATA = Path(__file__).parent / "data"


def test_bad_modbus_tables_name_device_and_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOMWATCH_DUTY_URL", "json://127.0.0.1:1/")
    with pytest.raises(ConfigError) as err:
        config.load(DATA / "bad_modbus.toml")
    assert err.value.problems == [
        "bad_modbus.toml: devices[0].modbus.registers[0]: coil holds single bits: "
        "type must be bool, not int16",
        "bad_modbus.toml: devices[0].modbus.unit_id: Input should be less than or equal to 255",
        "bad_modbus.toml: devices[1].modbus: modbus map '/nonexistent/x.toml': no such file "
        "(shipped maps: airedale-pco, clever-mpro, renke-rs-ws-n01, xy-md02)",
    ]
