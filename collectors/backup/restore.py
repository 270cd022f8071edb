"""Restore tests: restore a sample into a scratch directory, verify it, and record who, when,
what and the outcome in an append-only log (003 数据备份工作制度 3: weekly restore test).

The log is JSON lines in ``STATE_DIR/restore-tests.log``, only ever opened for appending; a
restore done by hand is recorded the same way (``--manual``), because the regulations want the
record whoever did it. The scratch directory is made with ``mktemp -d`` where the backup is
checked (this host or the device) and removed afterwards.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from collectors.backup import files, tools
from collectors.backup.options import Backup
from collectors.backup.runner import Runner, last_line
from monitor.core.errors import CollectError

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One restore test: when, which job, who ran it, what was restored, and how it went."""

    ts: float
    job: str
    by: str
    what: str
    result: str  # "ok" | "failed"
    detail: str = ""
    manual: bool = False

    @property
    def ok(self) -> bool:
        """Whether the restore worked."""
        return self.result == "ok"


def append(path: Path, record: Record) -> None:
    """Add one record; the file is opened for appending only and never rewritten."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(record), ensure_ascii=False, sort_keys=True) + "\n")


def records(path: Path, job: str | None = None) -> Iterator[Record]:
    """Records in the order written (of one job if given); unreadable lines are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    for number, line in enumerate(lines, start=1):
        try:
            rec = Record(**json.loads(line))
        except (ValueError, TypeError):
            log.warning("%s:%d: not a restore-test record; skipped", path, number)
            continue
        if job is None or rec.job == job:
            yield rec


def run_test(job: Backup, runner: Runner, *, now: float, by: str) -> Record:
    """Restore the job's sample into a scratch directory, verify it, clean up; never raises
    for a failed restore (that is the outcome to record), only for a scratch directory that
    cannot be made."""
    made = runner.run(["mktemp", "-d", "-t", "roomwatch-restore.XXXXXX"], timeout=30.0)
    scratch = made.stdout.strip()
    if made.status != 0 or not scratch.startswith("/"):
        raise CollectError(f"backup {job.name}: cannot make a scratch directory on {runner.where}")
    try:
        what, detail = _restore(job, runner, scratch)
        result = "ok" if not detail else "failed"
    except CollectError as err:
        what, detail, result = "", str(err), "failed"
    finally:
        runner.run(["rm", "-rf", "--", scratch], timeout=job.timeout)
    return Record(ts=now, job=job.name, by=by, what=what, result=result, detail=detail)


def _restore(job: Backup, runner: Runner, scratch: str) -> tuple[str, str]:
    """(what was restored, why it failed or "")."""
    if job.source in ("restic", "borg"):
        return _from_repository(job, runner, scratch)
    if job.source == "files":
        return _from_files(job, runner, scratch)
    raise CollectError(f"backup {job.name}: an exec job cannot be restore-tested by roomwatch; "
                       "record the vendor's restore with --manual")


def _from_repository(job: Backup, runner: Runner, scratch: str) -> tuple[str, str]:
    tool = job.source
    assert job.password is not None  # the model requires it for restic and borg
    key = tools.secret(tool, job.password.get_secret_value())
    env = tools.BORG_ENV if tool == "borg" else {}
    listed = runner.run(tools.list_argv(tool, job.repository), secret=key, timeout=job.timeout, env=env)
    if listed.status != 0:
        raise tools.failure(tool, job.repository, runner.where, listed.stderr, key)
    snaps = tools.parse_snapshots(tool, listed.stdout)
    if not snaps:
        return "", "the repository has no snapshot to restore"
    newest = snaps[-1]
    what = f"{tool} {newest.id[:8]} " + (" ".join(job.restore_paths) or "(all)")
    argv = tools.restore_argv(tool, job.repository, newest.id, scratch, job.restore_paths)
    done = runner.run(argv, secret=key, timeout=job.timeout, env=env,
                      cwd=scratch if tool == "borg" else None)
    if done.status != 0:
        return what, f"{tool} restore failed: {last_line(done.stderr, key) or done.status}"
    restored = runner.run(["find", scratch, "-type", "f", "-printf", "%s %P\\n"], timeout=job.timeout)
    names = [line.split(" ", 1)[1] for line in restored.stdout.splitlines() if " " in line]
    if not names:
        return what, "nothing was restored"
    for path in job.restore_paths:
        rel = path.strip("/")
        if not any(n == rel or n.startswith(rel + "/") for n in names):
            return what, f"{path} was not restored"
    return what + f": {len(names)} files verified", ""


def _from_files(job: Backup, runner: Runner, scratch: str) -> tuple[str, str]:
    listed = runner.run(files.list_argv(job.path, job.pattern), timeout=job.timeout)
    found = files.parse_list(listed.stdout) if listed.status == 0 else []
    if not found:
        return "", f"no file matching {job.pattern} in {job.path}"
    newest = found[-1]
    source = f"{job.path.rstrip('/')}/{newest.name}"
    copy = f"{scratch}/{newest.name}"
    if runner.run(["cp", "--", source, copy], timeout=job.timeout).status != 0:
        return newest.name, f"cannot copy {newest.name}"
    want = ""
    if job.manifest:
        text = runner.run(["cat", job.manifest], timeout=30.0).stdout
        want = files.manifest_sums(text).get(newest.name, "")
    if not want:  # not in the manifest: the copy must at least equal the original
        want = _sha256(runner, source, job.timeout)
    got = _sha256(runner, copy, job.timeout)
    if not got or got != want:
        return newest.name, f"{newest.name}: checksum of the restored copy does not match"
    if newest.name.endswith(".gz") and runner.run(["gzip", "-t", copy], timeout=job.timeout).status:
        return newest.name, f"{newest.name}: not a whole gzip file"
    return f"{newest.name}: sha256 verified", ""


def _sha256(runner: Runner, path: str, timeout: float) -> str:
    done = runner.run(["sha256sum", "--", path], timeout=timeout)
    return done.stdout.split(" ", 1)[0].lower() if done.status == 0 else ""
