"""``roomwatch backup restore-test JOB``: run a restore test of a backup job, or record one done
by hand, in the append-only restore-test log (003 数据备份工作制度 3: weekly restore test)."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import os
import sys
import time
from typing import Any

from collectors.backup import LOG_NAME, restore, runner_for
from collectors.ssh.session import HostKeyRefused
from monitor import config as config_mod
from monitor.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VIOLATIONS,
    add_config_option,
    command_group,
    load,
)
from monitor.commands.ssh import EXIT_REFUSED
from monitor.core.errors import CollectError
from monitor.jobs import backup_remote


def register(sub: Any) -> None:
    """Add ``backup`` with its ``restore-test`` sub-command."""
    inner = command_group(sub, "backup", help="Backup jobs: restore tests.",
                          description="Backup job helpers.")
    test = inner.add_parser(
        "restore-test", help="Restore a sample of a backup job and verify it, or record a manual test.",
        description="Restore the job's restore_paths (or the newest file of a files job) from the "
        "newest backup into a scratch directory where the job is checked, verify it (restic "
        "--verify, borg's checksums, sha256 against the manifest), remove it, and append who, "
        "when, what and the outcome to STATE_DIR/restore-tests.log. Exit 0 passed, 1 failed, "
        "2 usage, 3 refused (host key). Schedule it with a systemd timer or restore_test_every.")
    add_config_option(test)
    test.add_argument("job", help="backup job name ([[backups]] name)")
    test.add_argument("--manual", action="store_true", help="record a restore done by hand")
    test.add_argument("--by", help="who did it (default: the user running the command)")
    test.add_argument("--result", choices=("ok", "failed"), help="outcome of a manual restore")
    test.add_argument("--what", default="", help="what was restored (manual)")
    test.add_argument("--comment", default="", help="note kept with the record")
    test.set_defaults(handler=run_restore_test)


def run_restore_test(args: argparse.Namespace, now: float | None = None) -> int:
    """Run or record one restore test; print the record."""
    settings, where = load(args.config)
    jobs = {j.name: j for j in settings.backups}
    job = jobs.get(args.job)
    if job is None:
        known = f" (jobs: {', '.join(sorted(jobs))})" if jobs else " ([[backups]] is empty)"
        print(f"{where}: no backup job named {args.job!r}{known}", file=sys.stderr)
        return EXIT_USAGE
    if args.manual != (args.result is not None):
        print("--manual needs --result ok|failed (and --result is only for --manual)", file=sys.stderr)
        return EXIT_USAGE
    now = time.time() if now is None else now
    by = args.by or os.environ.get("SUDO_USER") or getpass.getuser()
    state, _ = config_mod.state_dir(settings)
    if args.manual:
        record = restore.Record(ts=now, job=job.name, by=by, what=args.what, result=args.result,
                                detail=args.comment, manual=True)
    else:
        runner = runner_for(job, backup_remote(settings, job, state))
        try:
            record = restore.run_test(job, runner, now=now, by=by)
        except HostKeyRefused as refused:
            print(refused, file=sys.stderr)
            return EXIT_REFUSED
        except CollectError as err:
            print(err, file=sys.stderr)
            return EXIT_VIOLATIONS
        if args.comment:
            record = dataclasses.replace(record, detail=record.detail or args.comment)
    restore.append(state / LOG_NAME, record)
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.ts))
    print(f"{stamp} {record.job} {record.result} by {record.by}: {record.what or '—'}"
          + (f" ({record.detail})" if record.detail else ""))
    return EXIT_OK if record.ok else EXIT_VIOLATIONS
