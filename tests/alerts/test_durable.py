"""No alert state change is ever lost: alerts.db on a real full filesystem (a small tmpfs filled
to the last byte) keeps the transition in memory until it can be written, then it is told once."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.core.errors import StoreError
from monitor.core.model import AlertState

from .helpers import alert, dispatcher


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (root only; skipped where mounting is not allowed)."""
    mount = tmp_path / "state"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@contextlib.contextmanager
def full(directory: Path) -> Iterator[None]:
    """Fill the filesystem of ``directory`` to the last byte; free it on leaving."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as out:
        for size in (65536, 512, 1):
            try:
                while out.write(b"\0" * size):
                    pass
            except OSError as err:
                assert err.errno == errno.ENOSPC
    try:
        yield
    finally:
        os.unlink(filler)


def test_firing_and_resolve_written_on_a_full_disk_are_told_once_space_returns(
        small_fs: Path, receiver) -> None:  # type: ignore[no-untyped-def]
    notify = {"receivers": [{"name": "duty", "urls": [receiver.url]}],
              "routes": [{"receiver": "duty", "group_wait": "0s", "group_interval": "1m"}]}
    d = dispatcher(small_fs, notify)
    fire = alert("ups-1", "ups_on_battery", at=1000.0)
    done = alert("ups-1", "ups_on_battery", AlertState.RESOLVED, at=1000.0, resolved=1300.0)
    with full(small_fs):
        with pytest.raises(StoreError, match="not recorded yet"):
            d.submit([fire], 1000.0)
        assert d.unrecorded == 1
        asyncio.run(d.deliver(1001.0))  # still full: kept, nothing told, nothing raised
        assert receiver.bodies() == []
    asyncio.run(d.deliver(1002.0))
    assert d.unrecorded == 0
    with full(small_fs), pytest.raises(StoreError):
        d.submit([done], 1300.0)
    asyncio.run(d.deliver(1400.0))
    told = [body["type"] for body in receiver.bodies()]
    assert told == ["failure", "success"]  # the firing and its resolve, each once
    d.outbox.close()
