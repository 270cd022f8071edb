"""Parsers shared by the local and SSH collectors: smartctl -j, systemctl, df, NTP."""

from __future__ import annotations

from pathlib import Path

from collectors.parsers import df, ntp, smartctl, systemd

DATA = Path(__file__).parent / "data" / "linux"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_smartctl_scan_and_failed_disk() -> None:
    assert smartctl.scan(read("smartctl_scan.json")) == ["/dev/sda", "/dev/nvme0"]
    disk = smartctl.parse(read("smartctl_sda_failed.json"))
    assert disk == smartctl.Disk("/dev/sda", False, 44.0, 40213.0)


def test_smartctl_minimal_and_garbage() -> None:
    assert smartctl.parse(read("smartctl_minimal.json")) == smartctl.Disk("/dev/sdb", None, None, None)
    assert smartctl.parse("bash: smartctl: command not found") is None
    assert smartctl.scan("") == []


def test_df_keeps_mounts_with_spaces() -> None:
    mounts = df.parse(read("df_PT.txt"))
    assert [(m.mount, m.fstype, m.used_percent) for m in mounts] == [
        ("/", "ext4", 95.0), ("/dev/shm", "tmpfs", 0.0), ("/data store", "xfs", 26.0)]


def test_failed_units() -> None:
    text = read("systemctl_failed.txt").replace("rc=0", "")
    assert systemd.failed_units(text) == ["backup-nightly.service", "smartd.service"]
    assert systemd.failed_units("") == []


def test_ntp() -> None:
    assert ntp.timedatectl_synced("Timezone=Asia/Shanghai\nNTPSynchronized=no\n") is False
    assert ntp.timedatectl_synced("NTP=yes\nNTPSynchronized=yes\n") is True
    assert ntp.timedatectl_synced("") is None
    tracking = read("chronyc_tracking.csv")
    assert ntp.chrony_synced(tracking) is True
    assert ntp.chrony_offset_seconds(tracking) == -0.000012345
    assert ntp.chrony_offset_seconds("506 Cannot talk to daemon") is None
