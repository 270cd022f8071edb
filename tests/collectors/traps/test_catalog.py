"""The catalog: which notification (and which varbinds) make which reading; pure, no sockets."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.traps import catalog
from collectors.traps.catalog import TRAP_OID, interface_name

CAT = catalog.load()
DEV = {"device": "ups-1", "kind": "ups", "level": "1"}
ADDED, REMOVED = "1.3.6.1.2.1.33.2.3", "1.3.6.1.2.1.33.2.4"
DESCR = "1.3.6.1.2.1.33.1.6.2.1.2.7"   # upsAlarmDescr.7 (alarm id 7)
ALARM = "1.3.6.1.2.1.33.1.6.3."        # upsWellKnownAlarms


def _one(trap: str, varbinds: dict[str, str | int] | None = None) -> tuple[str, float, dict[str, str]]:
    out = CAT.readings(trap, {TRAP_OID: trap, **(varbinds or {})}, DEV, 100.0)
    assert out is not None and len(out) == 1, out
    return out[0].metric, out[0].value, out[0].labels


@pytest.mark.parametrize(("trap", "metric", "value"), [
    ("1.3.6.1.6.3.1.1.5.1", "device_restarted", 1),   # coldStart
    ("1.3.6.1.6.3.1.1.5.2", "device_restarted", 1),   # warmStart
    ("1.3.6.1.2.1.33.2.1", "ups_on_battery", 1),      # UPS-MIB upsTrapOnBattery
    ("1.3.6.1.4.1.318.0.5", "ups_on_battery", 1),     # PowerNet upsOnBattery
    ("1.3.6.1.4.1.318.0.9", "ups_on_battery", 0),     # PowerNet powerRestored
    ("1.3.6.1.4.1.318.0.17", "ups_battery_replace", 1),  # PowerNet upsBatteryNeedsReplacement
    ("1.3.6.1.4.1.318.0.36", "ups_battery_replace", 0),  # PowerNet upsBatteryReplaced
])
def test_known_traps_make_their_reading_with_the_device_labels(trap: str, metric: str, value: int) -> None:
    assert _one(trap) == (metric, float(value), DEV)


@pytest.mark.parametrize(("varbinds", "ifname"), [
    ({"1.3.6.1.2.1.2.2.1.1.5": 5, "1.3.6.1.2.1.31.1.1.1.1.5": "Gi0/5",
      "1.3.6.1.2.1.2.2.1.2.5": "GigabitEthernet0/5"}, "Gi0/5"),        # ifName wins
    ({"1.3.6.1.2.1.2.2.1.1.5": 5, "1.3.6.1.2.1.2.2.1.2.5": "GigabitEthernet0/5"}, "GigabitEthernet0/5"),
    ({"1.3.6.1.2.1.2.2.1.1.5": 5, "1.3.6.1.2.1.2.2.1.7.5": 1, "1.3.6.1.2.1.2.2.1.8.5": 2}, "if5"),
    ({"1.3.6.1.2.1.2.2.1.8.12": 2}, "if12"),                          # only ifOperStatus.12
    ({}, "if?"),                                                      # minimal: nothing to go on
])
def test_link_down_names_the_interface_as_the_poller_does(varbinds: dict[str, str | int],
                                                          ifname: str) -> None:
    assert interface_name(varbinds) == ifname
    assert _one("1.3.6.1.6.3.1.1.5.3", varbinds) == ("if_oper_up", 0.0, {**DEV, "ifname": ifname})


def test_device_labels_win_over_varbind_labels() -> None:
    out = CAT.readings("1.3.6.1.6.3.1.1.5.4", {"1.3.6.1.2.1.31.1.1.1.1.1": "x"},
                       {"device": "sw", "ifname": "spoofed?"}, 0.0)
    assert out is not None and out[0].labels["ifname"] == "spoofed?"


def test_ups_alarm_table_traps() -> None:
    assert _one(ADDED, {DESCR: ALARM + "1"}) == ("ups_battery_replace", 1.0, DEV)   # batteryBad
    assert _one(REMOVED, {DESCR: ALARM + "1"}) == ("ups_battery_replace", 0.0, DEV)
    assert _one(ADDED, {DESCR: ALARM + "2"}) == ("ups_on_battery", 1.0, DEV)        # onBattery
    assert _one(ADDED, {DESCR: ALARM + "8"}) == ("ups_alarm", 1.0, {**DEV, "alarm": "outputOverload"})
    vendor = "1.3.6.1.4.1.2011.6.174.1.2.100"
    assert _one(REMOVED, {DESCR: vendor}) == ("ups_alarm", 0.0, {**DEV, "alarm": vendor})
    assert CAT.readings(ADDED, {}, DEV, 0.0) == []  # no upsAlarmDescr: nothing to say


def test_known_without_reading_and_unknown() -> None:
    assert CAT.readings("1.3.6.1.6.3.1.1.5.5", {}, DEV, 0.0) == []      # authenticationFailure
    assert CAT.readings("1.3.6.1.4.1.99999.0.1", {}, DEV, 0.0) is None
    assert CAT.readings("", {}, DEV, 0.0) is None


def test_a_broken_catalog_names_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text('[traps."1.3.x"]\nname = "a"\n')
    with pytest.raises(ValueError, match=r"c.toml: traps.'1.3.x': not a numeric OID"):
        catalog.load(bad)
    bad.write_text('[traps."1.3.6"]\nname = "a"\nmetirc = "typo"\n')
    with pytest.raises(ValueError, match=r"traps.'1.3.6': .*metirc"):
        catalog.load(bad)
