"""The ``[[backups]]`` config model: one backup job, its source and where it is checked."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Literal

from pydantic import Field, field_validator, model_validator

from monitor.core.durations import Duration
from monitor.core.options import PluginOptions
from monitor.core.secrets import Secret

SAMPLE_INTRO = """\
# Backup jobs (003: check backups daily, integrity and restore test weekly; 001: off-site copy
# weekly; 002: important systems monthly, backups never altered). Readings, labelled job:
# backup_age_hours, backup_last_success_timestamp, backup_size_bytes, backup_verified,
# restore_test_age_days, restore_test_failed, backup_offsite_age_days, backup_modified,
# backup_shrank; backup_readable 0 when the job cannot be checked. Passwords go to restic/borg
# by environment (here) or stdin (over SSH), never on a command line. Restore tests:
# `roomwatch backup restore-test JOB`; log in STATE_DIR/restore-tests.log.
# Uncomment and adapt (each job needs its repository and password):
"""

SAMPLE = """\
[[backups]]
name = "his-db"                 # the job, shown in the daily record and the weekly report
protects = "HIS database"       # what it protects, for people
source = "restic"               # restic | borg | files | exec
repository = "/backup/restic/his"
password = "env:ROOMWATCH_BACKUP_PASSWORD"   # or "file:his-restic" (systemd credential); never printed
max_age = "26h"                 # newest backup older than this is overdue
level = 1                       # 1 = important system (002: backed up at least monthly)
offsite = false                 # true when this repository is the copy kept elsewhere
device = "db-01"                # optional: check it on that [[devices]] entry (ssh) over SSH
interval = "1h"                 # how often snapshots are listed
check_interval = "1d"           # integrity check (restic check / borg check): costly, so slower
read_data_subset = "5%"         # restic: also read this share of the data at each check
restore_paths = ["/var/backups/his/latest.dump"]   # the sample a restore test restores
restore_test_every = "7d"       # run the restore test from the daemon; omit to use a timer
timeout = "10m"                 # longest one restic/borg command may take

[[backups]]
name = "his-db-offsite"
protects = "HIS database"
source = "borg"
repository = "ssh://backup@198.51.100.30/srv/borg/his"
password = "env:ROOMWATCH_BACKUP_PASSWORD"
offsite = true                  # backup_offsite_age_days: the weekly off-site copy (001)
max_age = "8d"
environment = { BORG_BASE_DIR = "/var/lib/roomwatch/borg" }   # keys and cache; not secrets

[[backups]]
name = "oa-dump"
source = "files"                # newest file matching pattern: age, size, sudden shrink
path = "/var/backups/oa"
pattern = "oa-*.sql.gz"
manifest = "/var/backups/oa/SHA256SUMS"   # sha256sum lines: older dumps must not change
shrink_percent = 50             # newest smaller than this share of the one before is suspicious
max_age = "26h"

[[backups]]
name = "veeam-fileserver"
source = "exec"                 # any script printing line protocol (Veeam, NBU, vendor CLI)
command = ["/usr/local/bin/veeam-status", "--job", "fileserver"]
max_age = "26h"
"""

Source = Literal["restic", "borg", "files", "exec"]
LOG_NAME = "restore-tests.log"
"""The append-only restore-test log in the state directory."""


class Backup(PluginOptions):
    """One ``[[backups]]`` table."""

    name: str = Field(min_length=1, description="Job name; becomes the `job` label.")
    source: Source = Field(description="restic, borg, files or exec.")
    protects: str = Field("", description="What the job protects, for people reading the record.")
    level: int = Field(2, ge=1, le=3, description="1 = important system (monthly backup required).")
    device: str | None = Field(None, description="[[devices]] entry (ssh) to check it on; default this host.")
    repository: str = Field("", description="restic/borg: the repository (path or URL).")
    password: Secret | None = Field(None, description="restic/borg repository password (env:/file:).")
    path: str = Field("", description="files: the directory the backups are written to.")
    pattern: str = Field("*", description="files: shell pattern of the backup file names.")
    manifest: str = Field("", description="files: sha256sum manifest proving older files unchanged.")
    shrink_percent: float = Field(50.0, ge=0, le=100,
                                  description="files: newest below this share of the previous is suspicious.")
    command: list[str] = Field(default_factory=list, description="exec: program and arguments; no shell.")
    max_age: Duration = Field(26 * 3600.0, gt=0, description="Newest backup older than this is overdue.")
    offsite: bool = Field(False, description="This repository is the copy kept elsewhere (off-site).")
    interval: Duration = Field(3600.0, gt=0, description="How often the job is checked.")
    check_interval: Duration = Field(86400.0, gt=0, description="How often the integrity check runs.")
    read_data_subset: str = Field("", description="restic: --read-data-subset at each check (e.g. 5%).")
    timeout: Duration = Field(600.0, gt=0, description="Longest one command may take.")
    restore_paths: list[str] = Field(default_factory=list,
                                     description="What a restore test restores (default: the whole newest).")
    restore_test_every: Duration | None = Field(None, gt=0,
                                                description="Run restore tests from the daemon.")
    environment: dict[str, str] = Field(default_factory=dict,
                                        description="Extra variables (not secrets), e.g. BORG_BASE_DIR.")

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if any(ch.isspace() for ch in value) or value == "config":
            raise ValueError(f"{value!r}: use a name without white space, not 'config' "
                             "(that is the switch-configuration fetch)")
        return value

    @model_validator(mode="after")
    def _source_fields(self) -> Backup:
        needs = {"restic": ("repository", "password"), "borg": ("repository", "password"),
                 "files": ("path",), "exec": ("command",)}[self.source]
        missing = [name for name in needs if not getattr(self, name)]
        if missing:
            raise ValueError(f"source {self.source!r} needs {' and '.join(missing)}")
        if self.source == "files" and not PurePosixPath(self.path).is_absolute():
            raise ValueError(f"path {self.path!r} must be absolute")
        if self.read_data_subset and self.source != "restic":
            raise ValueError("read_data_subset is for restic only")
        return self

    @property
    def important(self) -> bool:
        """Level 1: an important system (002 第二十五条: backed up at least monthly)."""
        return self.level == 1


def check_backups(jobs: Iterable[Backup], devices: dict[str, bool], where: str) -> list[str]:
    """Problems across jobs: duplicate names, unknown devices or devices not reachable over SSH.
    ``devices`` maps a device name to whether it has an ``ssh`` table."""
    problems: list[str] = []
    seen: set[str] = set()
    for index, job in enumerate(jobs):
        at = f"{where}backups[{index}]"
        if job.name in seen:
            problems.append(f"{at}.name: {job.name!r} is used twice")
        seen.add(job.name)
        if job.device is None:
            continue
        if job.device not in devices:
            problems.append(f"{at}.device: no [[devices]] entry named {job.device!r}")
        elif not devices[job.device]:
            problems.append(f"{at}.device: {job.device!r} has no ssh table; backups are checked over SSH")
    return problems
