"""Backup jobs (``[[backups]]``): restic, borg, plain files or a script, checked on this host or
on a device over SSH; the 数据备份 item of the daily record and the backup rules' evidence.

Not a transport (a job is not a device): like ``[[links]]`` it is a top-level list. ``Backup``
is the config model (with ``secret_values()``), ``SAMPLE`` its TOML snippet, ``build`` makes the
collector of one job. The subprocess and SSH code loads only when ``build`` is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors.backup.options import LOG_NAME, SAMPLE, SAMPLE_INTRO, Backup, check_backups

if TYPE_CHECKING:
    from collectors.backup.collector import BackupCollector
    from collectors.backup.runner import Runner

__all__ = ["LOG_NAME", "SAMPLE", "SAMPLE_INTRO", "Backup", "Remote", "build", "check_backups", "runner_for"]


@dataclass(frozen=True, kw_only=True)
class Remote:
    """The device a job is checked on: its name, address and ``ssh`` table, roomwatch's known_hosts."""

    device: str
    address: str
    port: int | None
    options: Any  # collectors.ssh.SshOptions (not imported here: it would load paramiko)
    known_hosts: Path


def runner_for(job: Backup, remote: Remote | None) -> Runner:
    """Where the job is checked: over SSH when it names a device, else here."""
    from collectors.backup.runner import LocalRunner, SshRunner

    if remote is None:
        return LocalRunner(environment=job.environment)
    from collectors.ssh.collector import target

    return SshRunner(target=target(remote.device, remote.options, address=remote.address,
                                   port=remote.port, known_hosts=remote.known_hosts),
                     environment=job.environment)


def build(job: Backup, *, remote: Remote | None = None, state_dir: Path) -> BackupCollector:
    """The collector of one job; constructing validates and opens nothing."""
    from collectors.backup.collector import BackupCollector

    return BackupCollector(job, runner_for(job, remote), log_path=state_dir / LOG_NAME)
