"""gammu: a real gammu-smsd on Gammu's dummy phone driver (no modem, no network) with the files
service; roomwatch injects, the daemon sends, the message lands in the sent folder intact."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.notifiers.gammu import GammuOptions, inject_args
from monitor.core.errors import NotifyError
from monitor.core.model import AlertState
from tests.alerts.notifiers.helpers import notifier
from tests.procs import stop

pytestmark = pytest.mark.skipif(shutil.which("gammu-smsd") is None, reason="needs gammu-smsd (apt.d/sms.txt)")

LONG = ("【告警】机房A-精密空调-1号 机房温度超过阈值 31.5℃ 阈值30℃ 依据《信息中心机房管理制度》"
        "四、环境管理制度 第5条 请值班人员立即到场处理并在值班记录中登记")


@pytest.fixture
def smsd(tmp_path: Path) -> Iterator[Path]:
    """gammu-smsd running on the dummy driver; yields its smsdrc."""
    dirs = {name: tmp_path / name for name in ("phone", "inbox", "outbox", "sent", "error")}
    for d in dirs.values():
        d.mkdir()
    rc = tmp_path / "smsdrc"
    rc.write_text(f"""[gammu]
device = {dirs['phone']}
connection = none
model = dummy

[smsd]
service = files
inboxpath = {dirs['inbox']}/
outboxpath = {dirs['outbox']}/
sentsmspath = {dirs['sent']}/
errorsmspath = {dirs['error']}/
logfile = {tmp_path / 'smsd.log'}
loopsleep = 1
commtimeout = 1
checksecurity = 0
checkbattery = 0
checksignal = 0
""")
    proc = subprocess.Popen(["gammu-smsd", "-c", str(rc)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        yield rc
    finally:
        stop(proc)


def _sent(smsdrc: Path, timeout: float = 30.0) -> str:
    sent = smsdrc.parent / "sent"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = list(sent.iterdir())
        if files:
            return files[0].read_text(encoding="utf-8", errors="replace")
        time.sleep(0.2)
    log = (smsdrc.parent / "smsd.log").read_text(errors="replace")[-2000:]
    raise AssertionError(f"nothing reached the sent folder; smsd.log:\n{log}")


def _last(backup: str) -> str:
    """gammu-smsd rewrites the sent file after each part: the last save holds every part."""
    return backup.rsplit("; Saved ", 1)[-1]


def _texts(backup: str) -> str:
    """The message text of a Gammu SMS backup file: its TextNN lines are UCS-2 hex."""
    parts = re.findall(r"^Text\d\d = ([0-9A-F]+)$", _last(backup), flags=re.M)
    return "".join(bytes.fromhex(p).decode("utf-16-be") for p in parts)


def test_injected_chinese_text_is_sent_intact_in_linked_parts(smsd: Path) -> None:
    n = notifier({"name": "modem", "kind": "gammu", "numbers": ["13800000000"], "format": "sms",
                  "gammu": {"smsdrc": str(smsd)}})
    [target] = n.targets_of("modem")
    answer = n.send(target, "", LONG, AlertState.FIRING, {})
    assert answer.startswith("code=queued request_id=OUTC") and "+8613800000000" in answer
    backup = _sent(smsd)
    assert 'Number = "+8613800000000"' in backup and "Coding = Unicode_No_Compression" in backup
    assert _last(backup).count("UDH = 050003") == 2  # two linked parts: the modem sends a concatenated SMS
    assert _texts(backup) == LONG


def test_short_latin_text_goes_as_one_gsm_part_without_unicode() -> None:
    args = inject_args(GammuOptions(smsdrc="/etc/gammu-smsdrc"), "+8613800000000", "UPS on battery")
    assert "-unicode" not in args and "-len" not in args and args[-2:] == ["-text", "UPS on battery"]
    args = inject_args(GammuOptions(smsdrc="/etc/gammu-smsdrc"), "+8613800000000", "温度" * 40)
    assert "-unicode" in args and args[args.index("-len") + 1] == "80"


def test_a_missing_smsdrc_is_a_config_error_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"notify.receivers\[0\].gammu.smsdrc: .* does not exist"):
        notifier({"name": "modem", "kind": "gammu", "numbers": ["13800000000"],
                  "gammu": {"smsdrc": str(tmp_path / "nope")}})


def test_inject_failure_is_retryable(tmp_path: Path) -> None:
    rc = tmp_path / "smsdrc"
    rc.write_text("[smsd]\nservice = files\noutboxpath = /nonexistent-dir/\n")
    n = notifier({"name": "modem", "kind": "gammu", "numbers": ["13800000000"],
                  "gammu": {"smsdrc": str(rc)}})
    with pytest.raises(NotifyError) as caught:
        n.send(n.targets_of("modem")[0], "", "测试", AlertState.FIRING, {})
    assert caught.value.retryable and "gammu-smsd-inject failed" in str(caught.value)
