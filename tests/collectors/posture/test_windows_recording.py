"""Windows posture from PowerShell JSON recordings (no Windows here): objects shaped as
Microsoft documents Get-MpComputerStatus, Get-HotFix, Get-NetTCPConnection (State enum numbers),
Win32_LogicalDisk (DriveType 2 removable, 5 CD), net accounts, secedit, Get-LocalUser, serialised
by Windows PowerShell 5.1 (``/Date(ms)/``) and PowerShell 7 (ISO 8601). Over SSH, a real sshd
runs a shim in place of powershell.exe that checks the command and prints the recording."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from collectors.posture import windows, windows_script
from collectors.posture.collector import PostureCollector
from collectors.posture.options import PostureOptions
from collectors.posture.outcome import Outcome
from tests.collectors.ssh.conftest import running_sshd

from .conftest import trusted

DATA = Path(__file__).parent / "data"
NOW = datetime.fromisoformat("2026-12-03T12:00:00+00:00").timestamp()
DAY = 86400.0


def load(name: str) -> dict:
    return windows.parse((DATA / name).read_text(encoding="utf-8"))


def values(outcome: Outcome) -> dict[str, float]:
    return {m + "".join(f",{k}={v}" for k, v in sorted(lb.items())): v for m, v, lb in outcome.values}


def test_recording_ps51_every_check() -> None:
    doc = load("windows_ps51_en.json")
    av = values(windows.antivirus(doc, NOW))
    assert av["av_running,product=defender"] == 1 and av["av_realtime_enabled,product=defender"] == 0
    assert av["av_signature_age_days,product=defender"] == pytest.approx(1.25)
    patches = values(windows.patches(doc, NOW))
    assert patches["patch_age_days"] == pytest.approx(
        (NOW - datetime.fromisoformat("2026-11-14T00:00:00+00:00").timestamp()) / DAY)
    # The cumulative update (MSRC severity) and the servicing stack update (Security Updates
    # category, upper-case ID) are security updates; the Defender definitions are not.
    assert patches["patch_security_pending"] == 2
    assert patches["patch_pending_update,update=KB5048661"] == 1
    assert patches["patch_pending_update,update=KB5047000"] == 1
    assert "patch_pending_update,update=KB2267602" not in patches
    assert patches["patch_search_age_days"] == pytest.approx(1.0)  # the cache is a day old
    # An agent that never searched has an empty cache: its "nothing pending" proves nothing.
    never = windows.patches({**doc, "LastUpdateSearch": None, "PendingUpdates": []}, NOW)
    assert "patch_security_pending" not in values(never) and "never searched" in never.unavailable
    media = values(windows.removable_media(doc))
    assert media["usb_storage_allowed"] == 1 and media["optical_drive_enabled"] == 1
    assert media["removable_media_mounted"] == 1 and media["removable_media_mount,mount=E:"] == 1
    assert values(windows.password_policy(doc)) == {
        "password_min_length": 7.0, "password_max_age_days": 42.0, "password_classes_required": 2.0}
    net = values(windows.connections(doc, PostureOptions()))
    assert net["egress_public_connections"] == 1 and net["egress_mail_connections"] == 1
    assert net["egress_mail_remote,remote=198.51.100.25:587"] == 1
    assert values(windows.cleared(doc, NOW, 7 * DAY)) == {"log_cleared,log=Security": 1.0}
    assert len(windows.software(doc) or {}) == 3
    acc = values(windows.privileged_accounts(doc, NOW, approved=["Administrator"], unused_days=90))
    assert acc["privileged_unapproved_accounts"] == 2  # zhangwei and CORP\Domain Admins
    assert acc["accounts_unused"] == 1 and acc["account_unused,user=zhangwei"] == 1


def test_recording_ps7_chinese_windows_without_admin_rights() -> None:
    doc = load("windows_ps7_zh.json")
    assert values(windows.removable_media(doc)) == {
        "usb_storage_allowed": 0.0, "optical_drive_enabled": 0.0, "removable_media_mounted": 0.0}
    policy = windows.password_policy(doc)
    assert values(policy) == {"password_min_length": 8.0, "password_max_age_days": 90.0}
    assert "PasswordComplexity" in policy.unavailable  # net accounts does not tell complexity
    assert values(windows.cleared(doc, NOW, 7 * DAY)) == {"log_cleared,log=Security": 0.0}
    assert values(windows.privileged_accounts(doc, NOW, approved=["Administrator"], unused_days=90)) == {
        "privileged_unapproved_accounts": 0.0, "accounts_unused": 0.0}
    patches = windows.patches(doc, NOW)
    assert values(patches)["patch_age_days"] == pytest.approx(
        (NOW - datetime.fromisoformat("2026-11-20T00:00:00+08:00").timestamp()) / DAY)
    # Not an administrator: the update searcher refused (WU_E_PER_MACHINE_UPDATE_ACCESS_DENIED),
    # so pending updates are 无法检查, not "none pending".
    assert "patch_security_pending" not in values(patches) and "0x80240044" in patches.unavailable


def test_recording_server_readings_in_both_serialisations() -> None:
    got = {r.metric + "".join(f",{k}={v}" for k, v in r.labels.items()): r.value
           for r in windows.server_readings(load("windows_ps51_en.json"), NOW)}
    assert got == {"cpu_percent": 16.0, "memory_percent": 75.0, "uptime_seconds": (3 * DAY - 120.0),
                   "disk_used_percent,mount=C:": 70.0, "disk_used_percent,mount=D:": 0.0}
    zh = {r.metric + "".join(f",{k}={v}" for k, v in r.labels.items()): r.value
          for r in windows.server_readings(load("windows_ps7_zh.json"), NOW)}
    assert zh == {"cpu_percent": 7.0, "memory_percent": 75.0, "uptime_seconds": 2.5 * DAY,
                  "disk_used_percent,mount=C:": 90.0}
    assert windows.server_readings(load("windows_minimal.json"), NOW) == []  # nothing made up


def test_script_has_only_the_configured_checks() -> None:
    text = windows_script.script(["patches"], server=False)
    assert "Microsoft.Update.Session" in text and "$us.Online = $false" in text
    assert "Get-MpComputerStatus" not in text and "Win32_OperatingSystem" not in text
    assert "Win32_OperatingSystem" in windows_script.script([], server=True)


def test_recording_minimal_every_check_is_unavailable_not_normal() -> None:
    doc = load("windows_minimal.json")
    outcomes = [windows.antivirus(doc, NOW), windows.patches(doc, NOW), windows.removable_media(doc),
                windows.password_policy(doc), windows.connections(doc, PostureOptions()),
                windows.cleared(doc, NOW, DAY),
                windows.privileged_accounts(doc, NOW, approved=[], unused_days=90)]
    assert all(o.unavailable for o in outcomes), [o for o in outcomes if not o.unavailable]
    assert windows.software(doc) is None
    with pytest.raises(ValueError):
        windows.parse("'powershell' is not recognized as an internal or external command")


def test_dates_in_every_serialisation() -> None:
    assert windows.when("/Date(1764547200000)/") == 1764547200.0
    assert windows.when("\\/Date(1764547200000+0800)\\/") == 1764547200.0
    assert windows.when({"value": "/Date(1764547200000)/", "DateTime": "x"}) == 1764547200.0
    utc = datetime.fromisoformat("2026-12-01T00:00:00+00:00").timestamp()
    assert windows.when("2026-12-01T00:00:00Z") == utc
    assert windows.when("0001-01-01T00:00:00") is None and windows.when(None) is None


def _shim(work: Path, recording: str) -> str:
    """sshd_config lines: a ForceCommand that stands in for powershell.exe."""
    shim = work / "powershell-shim.sh"
    (work / "recording.json").write_text((DATA / recording).read_text(encoding="utf-8"), encoding="utf-8")
    shim.write_text(
        "#!/bin/sh\n"
        'case "$SSH_ORIGINAL_COMMAND" in\n'
        '  "powershell -NoProfile -NonInteractive -EncodedCommand "*)\n'
        '    printf "%s" "${SSH_ORIGINAL_COMMAND##* }" > "$(dirname "$0")/received.b64"\n'
        '    cat "$(dirname "$0")/recording.json";;\n'
        '  *) echo "not a PowerShell command" >&2; exit 1;;\n'
        "esac\n")
    shim.chmod(0o755)
    return f"ForceCommand {shim}\n"


@pytest.mark.parametrize("recording", ["windows_ps51_en.json", "windows_ps7_zh.json"])
def test_recording_through_real_sshd(tmp_path: Path, recording: str) -> None:
    # The shim runs as the throw-away user: its directory must be reachable and writable by it.
    work = Path(tempfile.mkdtemp(prefix="rw-shim-"))
    work.chmod(0o777)
    try:
        with running_sshd(_shim(work, recording)) as sshd:
            target = trusted(sshd, tmp_path / "known_hosts")
            col = PostureCollector("win-01", PostureOptions(), state_dir=tmp_path / "state", target=target,
                                   os="windows", reports_host_key=True, server=True)
            readings = asyncio.run(col.collect(NOW))
        sent = base64.b64decode((work / "received.b64").read_text()).decode("utf-16-le")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert sent == windows_script.script(PostureOptions().checks, server=True) and "ConvertTo-Json" in sent
    unavailable = {r.labels["check"]: r.value for r in readings if r.metric == "posture_check_unavailable"}
    assert set(unavailable) == set(PostureOptions().checks)
    assert unavailable["antivirus"] == 0 and unavailable["egress"] == 0
    assert unavailable["software"] == 1  # no approved baseline yet: 无法检查, never 正常
    by = {r.metric: r.value for r in readings if not r.labels.get("check")}
    assert by["ssh_host_key_unknown"] == 0 and "av_installed" in by and "memory_percent" in by
    assert json.loads((tmp_path / "state" / "posture" / "win-01.inventory.json").read_text())["packages"]
