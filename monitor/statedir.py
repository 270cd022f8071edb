"""The state directory: chosen, created private, and roomwatch's own files in it kept 0600."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

# The files roomwatch keeps in its state directory (SQLite and its journals, engine state, keys).
_OWN = (".db", ".db-wal", ".db-shm", ".db-journal", ".json", "known_hosts")


def choose(wanted: Path, origin: str = "configured") -> tuple[Path, str]:
    """The state directory to use and why: ``wanted`` if writable (the reason is ``origin``:
    configured, or the default), else ./roomwatch-state. Made 0700; roomwatch's own files in it
    are kept 0600 (see ``private``)."""
    try:
        wanted.mkdir(mode=0o700, parents=True, exist_ok=True)
        if os.access(wanted, os.W_OK):
            private(wanted)
            return wanted, origin
    except OSError:
        pass
    fallback = Path.cwd() / "roomwatch-state"
    fallback.mkdir(mode=0o700, parents=True, exist_ok=True)
    private(fallback)
    return fallback, f"{wanted} is not writable"


def private(folder: Path) -> None:
    """Take group and other access from roomwatch's own state files (alert bodies, masked config
    diffs): older releases made them 0644. Only its own file names, so a state_dir shared with
    other software is left alone; the directory itself is only reported."""
    mode = folder.stat().st_mode
    if mode & 0o077:
        log.warning("state_dir %s is open to other users (mode %04o); chmod 700 it", folder, mode & 0o777)
    for path in folder.iterdir():
        if path.is_symlink() or not path.is_file() or not path.name.endswith(_OWN):
            continue
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except OSError:  # someone else's file: not ours to change
            continue
