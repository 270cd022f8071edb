"""Real restic and borg repositories in temporary directories, with snapshots dated by the
tools' own options (restic ``--time``, borg ``--timestamp``) instead of waiting."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.collectors.ssh.conftest import sshd  # noqa: F401  (the real sshd fixture, reused)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0
PASSWORD = "Rp-7f3c9e1a-secret"


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (scripts/apt.d/backup.txt)")


@dataclass
class Repo:
    """A repository made by the real tool: where, its password, the data it backs up."""

    tool: str
    path: Path
    data: Path
    base: Path  # borg's home (keys, cache); restic runs without a cache

    def env(self, password: str = PASSWORD) -> dict[str, str]:
        if self.tool == "restic":
            return {**os.environ, "RESTIC_PASSWORD": password}
        return {**os.environ, "BORG_PASSPHRASE": password, "BORG_BASE_DIR": str(self.base), "TZ": "UTC"}

    def snapshot(self, ts: float) -> None:
        """One backup of ``data`` dated ``ts`` (UTC)."""
        when = datetime.fromtimestamp(ts, UTC)
        if self.tool == "restic":
            argv = ["restic", "-r", str(self.path), "backup", str(self.data), "--no-cache", "-q",
                    "--time", when.strftime("%Y-%m-%d %H:%M:%S")]
        else:
            argv = ["borg", "create", "--timestamp", when.strftime("%Y-%m-%dT%H:%M:%S"),
                    f"{self.path}::b-{int(ts)}", str(self.data)]
        subprocess.run(argv, env={**self.env(), "TZ": "UTC"}, check=True, capture_output=True)

    def corrupt(self) -> None:
        """Damage the stored data on disk: the second half of data files zeroed (restic: every
        pack; borg: the largest segment, which holds the backed-up file, not the manifest)."""
        found = sorted((p for p in (self.path / "data").rglob("*") if p.is_file() and p.stat().st_size > 64),
                       key=lambda p: p.stat().st_size)
        for f in found if self.tool == "restic" else found[-1:]:
            size = f.stat().st_size
            with f.open("r+b") as fh:
                fh.seek(size // 2)
                fh.write(b"\0" * (size - size // 2))


def make_repo(tool: str, where: Path, times: list[float]) -> Repo:
    need(tool)
    data = where / "data"
    (data / "db").mkdir(parents=True)
    (data / "db" / "his.dump").write_bytes(os.urandom(4096) + b"HIS dump\n")
    (data / "db" / "notes.txt").write_text("patients table\n")
    repo = Repo(tool, where / f"{tool}-repo", data, where / "borg-home")
    repo.base.mkdir()
    if tool == "restic":
        argv = ["restic", "init", "-r", str(repo.path), "-q"]
    else:
        argv = ["borg", "init", "-e", "repokey", str(repo.path)]
    subprocess.run(argv, env=repo.env(), check=True, capture_output=True)
    for ts in times:
        repo.snapshot(ts)
    return repo


def daily(until: float, days: int = 3) -> list[float]:
    """Nightly backups at 02:00 UTC for ``days`` days, the last on the day of ``until``."""
    last = until - until % 86400 + 2 * HOUR
    return [last - d * 86400 for d in reversed(range(days))]
