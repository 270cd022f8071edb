"""Check one backup job each interval: the newest backup's age and size, the integrity check at
its own slower cadence, restore tests from the append-only log, off-site age."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

from collectors import lineproto
from collectors.backup import files, restore, tools
from collectors.backup.options import Backup
from collectors.backup.runner import Runner, last_line
from monitor.core.errors import CollectError
from monitor.core.model import Reading

log = logging.getLogger(__name__)

DAY = 86400.0


class BackupCollector:
    """One ``[[backups]]`` job, checked through ``runner`` (this host or a device over SSH).
    ``log_path`` is the restore-test log; the last integrity check's result is kept in memory
    (a restart checks again at once)."""

    def __init__(self, job: Backup, runner: Runner, *, log_path: Path) -> None:
        self.job = job
        self.runner = runner
        self.log_path = log_path
        self._checked_at: float | None = None
        self._verified: float | None = None
        self._modified = 0.0
        self._size: tuple[str, float | None] = ("", None)

    async def collect(self, now: float) -> list[Reading]:
        """The job's readings; CollectError when the backups cannot be read at all."""
        return await asyncio.to_thread(self._collect, now)

    async def close(self) -> None:
        """Nothing stays open between checks."""

    def _collect(self, now: float) -> list[Reading]:
        job = self.job
        if job.source == "exec":
            return self._exec(now)
        if job.source == "files":
            newest, oldest, size, extra = self._files(now)
        else:
            newest, oldest, size, extra = self._repository(now)
        out = [Reading("backup_age_hours", max(0.0, now - newest) / 3600.0, {}, now),
               Reading("backup_last_success_timestamp", newest, {}, now)]
        if size is not None:
            out.append(Reading("backup_size_bytes", size, {}, now))
        if self._verified is not None:
            out.append(Reading("backup_verified", self._verified, {}, now))
        if job.offsite:
            out.append(Reading("backup_offsite_age_days", max(0.0, now - newest) / DAY, {}, now))
        return out + extra + self._restore_tests(now, oldest)

    def _repository(self, now: float) -> tuple[float, float, float | None, list[Reading]]:
        job, tool = self.job, self.job.source
        assert job.password is not None  # the model requires it for restic and borg
        key = tools.secret(tool, job.password.get_secret_value())
        env = tools.BORG_ENV if tool == "borg" else {}
        listed = self.runner.run(tools.list_argv(tool, job.repository), secret=key,
                                 timeout=job.timeout, env=env)
        if listed.status != 0:
            raise tools.failure(tool, job.repository, self.runner.where, listed.stderr, key)
        snaps = tools.parse_snapshots(tool, listed.stdout)
        if not snaps:
            raise CollectError(f"{tool} {job.repository} on {self.runner.where}: no snapshots")
        newest = snaps[-1]
        if self._size[0] != newest.id:  # the size walks the snapshot: once per new snapshot
            sized = self.runner.run(tools.size_argv(tool, job.repository, newest.id), secret=key,
                                    timeout=job.timeout, env=env)
            self._size = (newest.id, tools.parse_size(tool, sized.stdout) if sized.status == 0 else None)
        if self._due(now):
            done = self.runner.run(tools.check_argv(tool, job.repository, job.read_data_subset),
                                   secret=key, timeout=job.timeout, env=env)
            self._checked_at, self._verified = now, float(done.status == 0)
            if done.status != 0:
                log.warning("backup %s: %s check failed on %s: %s", job.name, tool, self.runner.where,
                            last_line(done.stderr, key))
        extra = [Reading("backup_snapshots", float(len(snaps)), {}, now)]
        return newest.time, snaps[0].time, self._size[1], extra

    def _files(self, now: float) -> tuple[float, float, float | None, list[Reading]]:
        job = self.job
        listed = self.runner.run(files.list_argv(job.path, job.pattern), timeout=job.timeout)
        if listed.status != 0:
            raise CollectError(f"backup {job.name}: cannot list {job.path} on {self.runner.where}: "
                               f"{last_line(listed.stderr, None)}")
        found = files.parse_list(listed.stdout)
        if not found:
            raise CollectError(f"backup {job.name}: no file matching {job.pattern} in {job.path} "
                               f"on {self.runner.where}")
        extra = [Reading("backup_shrank", float(files.shrank(found, job.shrink_percent)), {}, now)]
        if job.manifest and self._due(now):
            done = self.runner.run(files.manifest_argv(job.manifest), timeout=job.timeout,
                                   cwd=files.manifest_dir(job.manifest))
            verdict = files.parse_manifest_check(done.stdout)
            self._checked_at = now
            self._verified = float(done.status == 0 and bool(verdict.ok) and not verdict.bad)
            self._modified = float(bool(verdict.bad) or done.status != 0)
            if verdict.bad:
                log.warning("backup %s: changed or missing since the manifest: %s", job.name,
                            ", ".join(verdict.bad[:10]))
        if job.manifest and self._checked_at is not None:
            extra.append(Reading("backup_modified", self._modified, {}, now))
        return found[-1].mtime, found[0].mtime, found[-1].size, extra

    def _exec(self, now: float) -> list[Reading]:
        done = self.runner.run(self.job.command, timeout=self.job.timeout)
        if done.status != 0:
            raise CollectError(f"backup {self.job.name}: {Path(self.job.command[0]).name} exited with "
                               f"status {done.status}: {last_line(done.stderr, None)}")
        parsed = lineproto.parse(done.stdout, now)
        if not parsed.readings:
            program = Path(self.job.command[0]).name
            raise CollectError(f"backup {self.job.name}: {program} printed no readings")
        return parsed.readings + self._restore_tests(now, None)

    def _due(self, now: float) -> bool:
        return self._checked_at is None or now - self._checked_at >= self.job.check_interval

    def _restore_tests(self, now: float, oldest: float | None) -> list[Reading]:
        """Age of the last good restore test; with none yet, how long backups have existed
        untested (a lower bound, so a job never tested still breaks the 7-day rule)."""
        history = list(restore.records(self.log_path, self.job.name))
        every = self.job.restore_test_every
        if every is not None and self.job.source != "exec" and (
                not history or now - history[-1].ts >= every):
            record = restore.run_test(self.job, self.runner, now=now, by=f"roomwatch@{socket.gethostname()}")
            restore.append(self.log_path, record)
            history.append(record)
        good = [r.ts for r in history if r.ok]
        since = good[-1] if good else oldest
        out = []
        if since is not None:
            out.append(Reading("restore_test_age_days", max(0.0, now - since) / DAY, {}, now))
        if history:
            out.append(Reading("restore_test_failed", float(not history[-1].ok), {}, now))
        return out
