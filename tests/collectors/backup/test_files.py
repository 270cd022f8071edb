"""The ``files`` and ``exec`` sources on this host: a dump that shrank, a manifest proving an
old file changed, a restore test of the newest dump, a script's line protocol; the sample."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from collectors.backup import SAMPLE, Backup, build, restore
from collectors.backup.runner import LocalRunner

from .conftest import HOUR, NOW


def dumps(where: Path, sizes: list[int]) -> list[Path]:
    """Nightly gzip dumps, one a day ending last night, mtimes set (no waiting)."""
    out = []
    for age_days, size in zip(range(len(sizes) - 1, -1, -1), sizes, strict=True):
        path = where / f"oa-{datetime.fromtimestamp(NOW - age_days * 86400, UTC):%Y%m%d}.sql.gz"
        path.write_bytes(gzip.compress(os.urandom(size), compresslevel=1))
        stamp = NOW - 10 * HOUR - age_days * 86400
        os.utime(path, (stamp, stamp))
        out.append(path)
    return out


def manifest(where: Path, paths: list[Path]) -> Path:
    sums = where / "SHA256SUMS"
    sums.write_text("".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in paths))
    return sums


def files_job(where: Path, **extra: object) -> Backup:
    return Backup.model_validate({"name": "oa-dump", "source": "files", "path": str(where),
                                  "pattern": "oa-*.sql.gz", **extra})


def collect(job: Backup, state: Path, now: float = NOW) -> dict[str, float]:
    state.mkdir(exist_ok=True)
    return {r.metric: r.value for r in asyncio.run(build(job, state_dir=state).collect(now))}


def test_a_healthy_dump_directory(tmp_path: Path) -> None:
    paths = dumps(tmp_path, [50_000, 51_000, 52_000])
    got = collect(files_job(tmp_path, manifest=str(manifest(tmp_path, paths))), tmp_path / "state")
    assert got["backup_age_hours"] == pytest.approx(10.0)
    assert got["backup_size_bytes"] == paths[-1].stat().st_size
    assert (got["backup_shrank"], got["backup_verified"], got["backup_modified"]) == (0.0, 1.0, 0.0)


def test_a_dump_that_shrank_is_suspicious(tmp_path: Path) -> None:
    dumps(tmp_path, [50_000, 51_000, 2_000])
    got = collect(files_job(tmp_path), tmp_path / "state")
    assert got["backup_shrank"] == 1.0
    assert "backup_verified" not in got  # no manifest: nothing proves integrity, nothing claims it
    assert collect(files_job(tmp_path, shrink_percent=3), tmp_path / "s2")["backup_shrank"] == 0.0


def test_a_manifest_shows_an_old_dump_was_changed(tmp_path: Path) -> None:
    paths = dumps(tmp_path, [50_000, 51_000, 52_000])
    sums = manifest(tmp_path, paths)
    with paths[0].open("r+b") as fh:  # an old backup altered in place
        fh.seek(100)
        fh.write(b"tampered")
    got = collect(files_job(tmp_path, manifest=str(sums)), tmp_path / "state")
    assert (got["backup_modified"], got["backup_verified"]) == (1.0, 0.0)
    paths[1].unlink()  # and one gone
    got = collect(files_job(tmp_path, manifest=str(sums)), tmp_path / "s2")
    assert got["backup_modified"] == 1.0


def test_an_empty_directory_cannot_be_checked(tmp_path: Path) -> None:
    from monitor.core.errors import CollectError

    with pytest.raises(CollectError, match="no file matching oa-"):
        collect(files_job(tmp_path), tmp_path / "state")


def test_restore_test_of_the_newest_dump(tmp_path: Path) -> None:
    paths = dumps(tmp_path, [50_000, 51_000])
    job = files_job(tmp_path, manifest=str(manifest(tmp_path, paths)))
    ok = restore.run_test(job, LocalRunner(), now=NOW, by="ops")
    assert (ok.result, ok.what) == ("ok", f"{paths[-1].name}: sha256 verified")
    paths[-1].write_bytes(b"not gzip at all")  # newest replaced after the manifest was made
    bad = restore.run_test(job, LocalRunner(), now=NOW, by="ops")
    assert bad.result == "failed" and "checksum" in bad.detail


def test_exec_jobs_read_line_protocol(tmp_path: Path) -> None:
    script = tmp_path / "veeam-status"
    script.write_text(f"#!{sys.executable}\nprint('backup_age_hours value=5.5')\n"
                      "print('backup_verified value=1')\n")
    script.chmod(0o755)
    job = Backup.model_validate({"name": "veeam-fs", "source": "exec", "command": [str(script)]})
    assert collect(job, tmp_path / "state") == {"backup_age_hours": 5.5, "backup_verified": 1.0}


def test_the_sample_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOMWATCH_BACKUP_PASSWORD", "sample-password")
    jobs = [Backup.model_validate(t) for t in tomllib.loads(SAMPLE)["backups"]]
    assert [j.source for j in jobs] == ["restic", "borg", "files", "exec"]
    assert jobs[0].important and jobs[1].offsite and jobs[0].secret_values() == ["sample-password"]


@pytest.mark.parametrize(("table", "message"), [
    ({"source": "restic", "repository": "/r"}, "source 'restic' needs password"),
    ({"source": "files", "path": "relative/dir"}, "must be absolute"),
    ({"source": "borg", "repository": "/r", "password": "x", "read_data_subset": "5%"}, "restic only"),
    ({"source": "exec", "command": ["x"], "name": "config"}, "switch-configuration fetch"),
])
def test_bad_jobs_are_refused_clearly(table: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Backup.model_validate({"name": "j", **table})
