"""The same backup checks on a device over a real sshd on loopback: restic and borg with the
password on stdin (never on the remote command line), files with a manifest, a restore test,
a wrong password, an untrusted host key."""

from __future__ import annotations

import asyncio
import os
import pwd
import subprocess
from pathlib import Path

import paramiko
import pytest

from collectors.backup import Backup, Remote, build, restore, runner_for
from collectors.ssh import hostkeys
from collectors.ssh.options import SshOptions
from collectors.ssh.session import HostKeyRefused
from monitor.core.errors import CollectError
from tests.collectors.ssh.conftest import Sshd

from .conftest import NOW, PASSWORD, daily, make_repo
from .test_files import dumps, manifest


def device(sshd: Sshd, known_hosts: Path, trusted: bool = True) -> Remote:
    if trusted:
        hostkeys.record(known_hosts, "127.0.0.1", sshd.port, paramiko.Ed25519Key(filename=str(sshd.host_key)))
    options = SshOptions.model_validate({"device_type": "linux", "username": sshd.user,
                                         "password": sshd.password, "command_timeout": "30s"})
    return Remote(device="db-01", address="127.0.0.1", port=sshd.port, options=options,
                  known_hosts=known_hosts)


def owned_by(sshd: Sshd, path: Path) -> None:
    """The device's user owns what it checks (restic and borg lock their repositories)."""
    entry = pwd.getpwnam(sshd.user)
    subprocess.run(["chown", "-R", f"{entry.pw_uid}:{entry.pw_gid}", str(path)], check=True)


def remote_job(tool: str, sshd: Sshd, **extra: object) -> Backup:
    where = sshd.public_dir / "repos"
    where.mkdir(exist_ok=True)
    repo = make_repo(tool, where, daily(NOW))
    owned_by(sshd, where)
    return Backup.model_validate({"name": "his-db", "source": tool, "repository": str(repo.path),
                                  "password": PASSWORD, "device": "db-01",
                                  "restore_paths": [str(repo.data / "db" / "his.dump")],
                                  "environment": {"BORG_BASE_DIR": str(repo.base)}, **extra})


@pytest.mark.parametrize("tool", ["restic", "borg"])
def test_repository_checked_over_ssh(tool: str, sshd: Sshd, tmp_path: Path) -> None:
    job = remote_job(tool, sshd)
    collector = build(job, remote=device(sshd, tmp_path / "known_hosts"), state_dir=tmp_path)
    got = {r.metric: r.value for r in asyncio.run(collector.collect(NOW))}
    assert got["backup_age_hours"] == pytest.approx(10.0)
    assert got["backup_verified"] == 1.0 and got["backup_snapshots"] == 3.0
    record = restore.run_test(job, collector.runner, now=NOW, by="ops")
    assert record.result == "ok", record.detail
    wrong = job.model_copy(update={"password": job.password and type(job.password)("Wr0ng-remote-pw")})
    with pytest.raises(CollectError) as err:
        asyncio.run(build(wrong, remote=device(sshd, tmp_path / "known_hosts"), state_dir=tmp_path)
                    .collect(NOW))
    assert "wrong repository password" in str(err.value) and "Wr0ng-remote-pw" not in str(err.value)


def test_the_password_never_reaches_the_remote_command_line(sshd: Sshd, tmp_path: Path) -> None:
    """What the device's shell is asked to run holds no secret (a process listing there would
    show it); the remote program prints its own environment and argv to prove it."""
    job = remote_job("restic", sshd)
    runner = runner_for(job, device(sshd, tmp_path / "known_hosts"))
    from collectors.backup import tools

    key = tools.secret("restic", PASSWORD)
    done = runner.run(["sh", "-c", 'env; echo "$0 $*"', "restic", "snapshots"], secret=key, timeout=30)
    assert done.status == 0 and PASSWORD not in done.stdout + done.stderr
    borg = tools.secret("borg", PASSWORD)
    done = runner.run(["sh", "-c", 'env; read line; [ "$line" = "$1" ] && echo got-stdin', "x", PASSWORD[:3]],
                      secret=borg, timeout=30)
    assert "BORG_PASSPHRASE_FD=0" in done.stdout and PASSWORD not in done.stdout


def test_files_checked_over_ssh(sshd: Sshd, tmp_path: Path) -> None:
    where = sshd.public_dir / "dumps"
    where.mkdir()
    paths = dumps(where, [50_000, 51_000, 1_000])
    sums = manifest(where, paths)
    os.utime(paths[-1], (NOW - 7200, NOW - 7200))
    stamp = paths[0].stat().st_mtime
    with paths[0].open("r+b") as fh:
        fh.write(b"changed")
    os.utime(paths[0], (stamp, stamp))  # altered with its date kept: only the hash tells
    owned_by(sshd, where)
    job = Backup.model_validate({"name": "oa-dump", "source": "files", "path": str(where),
                                 "pattern": "oa-*.sql.gz", "manifest": str(sums), "device": "db-01"})
    collector = build(job, remote=device(sshd, tmp_path / "known_hosts"), state_dir=tmp_path)
    got = {r.metric: r.value for r in asyncio.run(collector.collect(NOW))}
    assert got["backup_age_hours"] == pytest.approx(2.0)
    assert (got["backup_shrank"], got["backup_modified"], got["backup_verified"]) == (1.0, 1.0, 0.0)


def test_an_untrusted_host_key_is_refused(sshd: Sshd, tmp_path: Path) -> None:
    job = Backup.model_validate({"name": "oa-dump", "source": "files", "path": "/tmp", "device": "db-01"})
    collector = build(job, remote=device(sshd, tmp_path / "known_hosts", trusted=False), state_dir=tmp_path)
    with pytest.raises(HostKeyRefused, match="not trusted yet"):
        asyncio.run(collector.collect(NOW))
