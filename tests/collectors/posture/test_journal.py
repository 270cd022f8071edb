"""Journal holes on real journal files: systemd-journal-remote writes 5000 entries into a small
tmpfs (in a private mount namespace this test creates), so journald's own code rotates them into
four files of one sequence; the posture script reads them with ``journalctl -D``. A file
removed from the middle is a hole; files vacuumed from the start are not."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from collectors.posture import logs
from collectors.posture.collector import PostureCollector
from collectors.posture.options import PostureOptions
from monitor.core.model import Reading

REMOTE = Path("/lib/systemd/systemd-journal-remote")
NOW = 1_796_100_000.0
T0 = 1_796_000_000


def _journal(work: Path, entries: int = 5000) -> Path:
    if os.geteuid() != 0 or not REMOTE.exists() or shutil.which("unshare") is None:
        pytest.skip("needs root, unshare and systemd-journal-remote")
    export = work / "export"
    with export.open("wb") as out:
        for i in range(entries):  # Journal Export Format, one boot, one entry a second
            out.write(f"__REALTIME_TIMESTAMP={(T0 + i) * 10**6}\n__MONOTONIC_TIMESTAMP={(i + 1) * 10**6}\n"
                      f"_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=app-01\nPRIORITY=6\n"
                      f"MESSAGE=entry {i}\n\n".encode())
    small, kept = work / "tmpfs", work / "journal"
    small.mkdir()
    kept.mkdir()
    # journald sizes its files from the file system: on a 16 MB tmpfs they rotate at ~512 kB.
    script = (f"mount -t tmpfs -o size=16m rwjournal {small} && "
              f"{REMOTE} --split-mode=none --output={small}/remote.journal {export} && "
              f"cp -p {small}/*.journal {kept}/")
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        pytest.skip(f"cannot write journal files here: {done.stderr.strip()[:200]}")
    return kept


def _collect(opts: PostureOptions, state: Path, now: float) -> dict[str, float]:
    col = PostureCollector("app-01", opts, state_dir=state)

    async def run() -> list[Reading]:
        try:
            return await col.collect(now)
        finally:
            await col.close()
    return {r.metric + "".join(f",{k}={v}" for k, v in r.labels.items() if k in ("after", "check")): r.value
            for r in asyncio.run(run()) if r.metric.startswith(("journal", "posture"))}


def test_journal_file_removed_from_the_middle_is_a_hole(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    files = sorted(journal.glob("remote@*.journal"))  # archived, named by their first sequence number
    assert len(files) >= 3, [f.name for f in journal.iterdir()]
    opts = PostureOptions(checks=["logs"], journal_directory=str(journal), log_files=[])
    whole = _collect(opts, tmp_path / "state", NOW)
    assert whole["journal_gaps"] == 0 and whole["journal_missing_entries"] == 0
    assert whole["journal_cleared"] == 0
    files[1].unlink()  # someone deletes the second file: entries ~1534-3066 are gone
    holed = _collect(opts, tmp_path / "state", NOW + 60)
    assert holed["journal_gaps"] == 1 and holed["journal_missing_entries"] == 1533
    [after] = [k.split("=", 1)[1] for k in holed if k.startswith("journal_gap,")]
    assert "2026-11-30" in after  # the last entry before the hole (T0 + 1532 s, UTC)
    assert holed["journal_cleared"] == 0  # the newest entries are still there: not a wipe
    files[0].unlink()  # vacuuming the oldest file (as journald does by size or age) is not a hole
    vacuumed = _collect(opts, tmp_path / "state", NOW + 120)
    assert vacuumed["journal_gaps"] == 0 and vacuumed["journal_missing_entries"] == 0


def test_journal_header_recording_with_interleaved_user_journal() -> None:
    # Recorded ``journalctl --header`` lines (as the script filters them): the system and a
    # user journal share one counter and interleave; a second journald (another ID) has its own.
    lines = """header File path: /var/log/journal/m/system@a-0000000000000001-0006617000000000.journal
header Sequential number ID: aaaa
header Head sequential number: 1 (1)
header Tail sequential number: 100 (64)
header Tail realtime timestamp: Mon 2026-11-30 00:10:00 UTC (661700f0b7200)
header File path: /var/log/journal/m/user-1000@a-0000000000000032-0006617000000000.journal
header Sequential number ID: aaaa
header Head sequential number: 50 (32)
header Tail sequential number: 150 (96)
header Tail realtime timestamp: Mon 2026-11-30 00:20:00 UTC (6617031d07400)
header File path: /var/log/journal/m/system.journal
header Sequential number ID: aaaa
header Head sequential number: 160 (a0)
header Tail sequential number: 200 (c8)
header File path: /var/log/journal/n/system.journal
header Sequential number ID: bbbb
header Head sequential number: 7 (7)
header Tail sequential number: 9 (9)
header File path: /var/log/journal/n/empty.journal
header Sequential number ID: bbbb
header Head sequential number: 0 (0)
header Tail sequential number: 0 (0)""".splitlines()
    assert logs.gaps(lines) == [(9, "Mon 2026-11-30 00:20:00 UTC")]
    assert logs.gaps(["first 1796000000.0 app-01 x"]) is None  # no header listed: no claim
