"""Backup jobs (``[[backups]]``): restic, borg, plain files or a script, checked on this host or
on a device over SSH; the 数据备份 item of the daily record and the backup rules' evidence.

``options.Backup`` is the config model (with ``secret_values()``), ``SAMPLE`` its TOML snippet,
``build`` makes the collector of one job.
"""

from __future__ import annotations

from pathlib import Path

from collectors.backup.collector import BackupCollector
from collectors.backup.options import SAMPLE, Backup, check_backups
from collectors.backup.restore import LOG_NAME
from collectors.backup.runner import LocalRunner, Runner, SshRunner
from collectors.ssh.session import Target

__all__ = ["LOG_NAME", "SAMPLE", "Backup", "BackupCollector", "build", "check_backups", "runner_for"]


def runner_for(job: Backup, target: Target | None) -> Runner:
    """Where the job is checked: over SSH when it names a device (``target``), else here."""
    if target is not None:
        return SshRunner(target=target, environment=job.environment)
    return LocalRunner(environment=job.environment)


def build(job: Backup, *, target: Target | None, state_dir: Path) -> BackupCollector:
    """The collector of one job; constructing validates and opens nothing."""
    return BackupCollector(job, runner_for(job, target), log_path=state_dir / LOG_NAME)
