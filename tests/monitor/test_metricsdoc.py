"""docs/metrics.md is generated from the code and committed current."""

from __future__ import annotations

from monitor import metricsdoc


def test_the_committed_metrics_page_is_current() -> None:
    assert metricsdoc.main(["--check"]) == 0, "run: python -m monitor.metricsdoc"


def test_the_page_comes_from_every_kind_of_definition() -> None:
    metrics = metricsdoc.collect()
    assert "SNMP profile `ups-mib`" in metrics["ups_on_battery"].sources       # SNMP profile data
    assert "SNMP traps" in metrics["ups_on_battery"].sources                   # the trap catalog
    assert "Modbus map `xy-md02`" in metrics["temperature_celsius"].sources    # Modbus maps
    assert "`collectors.snmp`" in metrics["if_in_bps"].sources                 # an f-string reading
    assert "`collectors.local`" in metrics["load15"].sources                   # a loop over names
    assert "`monitor.scheduler`" in metrics["up"].sources                      # the heartbeat
    assert metrics["arp_unknown_mac"].sources == {"`collectors.arp`"}          # a named constant
    assert metrics["temperature_celsius"].rules == {"room_temperature", "device_temperature"}
    assert metrics["raid_degraded"].labels == {"array"}


def test_labels_set_by_profiles_and_built_in_variables_are_listed() -> None:
    metrics = metricsdoc.collect()
    assert metrics["ats_source"].labels == {"source"}                          # a profile's set = {…}
    assert {"phase"} <= metrics["ups_input_voltage_volts"].labels              # a row index label
    assert metrics["config_saved"].labels == {"user", "in_window", "window"}   # tags = {**labels, …}
    assert {"ifname", "role"} <= metrics["if_in_bps"].labels                   # labels = {"ifname": …}
    assert "reason" in metrics["arp_capture_up"].labels                        # labels["reason"] = …
    # The payload (the message kept as evidence) is no label.
    assert not {"message", "command"} & metrics["device_log_cleared"].labels
