"""smstools: spool files in the format smsd reads, compared with smstools' own shipped example."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alerts.notifiers.smstools import spool_file
from monitor.core.model import AlertState
from tests.alerts.notifiers.helpers import notifier

EXAMPLE = Path("/usr/share/doc/smstools/examples/send_sms_unicode.sms")


@pytest.mark.skipif(not EXAMPLE.exists(), reason="needs smstools (apt.d/sms.txt)")
def test_unicode_file_is_byte_for_byte_smstools_own_example() -> None:
    shipped = EXAMPLE.read_bytes()
    header, _, text = shipped.partition(b"\n\n")
    assert header == b"To: 491721234567\nAlphabet: UCS2"
    # the shipped file ends in one stray newline byte after its UCS-2 text (an editor's)
    assert len(text) % 2 == 1 and text.endswith(b"\n")
    assert spool_file("+491721234567", text[:-1].decode("utf-16-be")) + b"\n" == shipped


def test_latin_text_has_no_alphabet_header() -> None:
    assert spool_file("+8613800000000", "UPS on battery") == b"To: 8613800000000\n\nUPS on battery"


def test_receiver_writes_one_complete_file_per_number_atomically(tmp_path: Path) -> None:
    outgoing = tmp_path / "outgoing"
    outgoing.mkdir()
    n = notifier({"name": "smsd", "kind": "smstools", "numbers": ["13800000000", "+86 139 0000 0002"],
                  "format": "sms", "smstools": {"outgoing": str(outgoing)}})
    for target in n.targets_of("smsd"):
        assert n.send(target, "", "【告警】机房A 温度31.5℃", AlertState.FIRING, {}).startswith(
            "code=queued request_id=roomwatch_")
    files = sorted(outgoing.iterdir())
    assert len(files) == 2 and not [p for p in tmp_path.iterdir() if p.name.startswith(".roomwatch")]
    bodies = sorted(f.read_bytes() for f in files)
    text = "【告警】机房A 温度31.5℃".encode("utf-16-be")
    assert bodies == [b"To: 8613800000000\nAlphabet: UCS2\n\n" + text,
                      b"To: 8613900000002\nAlphabet: UCS2\n\n" + text]
    assert all(os.stat(f).st_mode & 0o777 == 0o660 for f in files)


def test_a_missing_spool_is_a_config_error_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"notify.receivers\[0\].smstools.outgoing: .* not a directory"):
        notifier({"name": "smsd", "kind": "smstools", "numbers": ["13800000000"],
                  "smstools": {"outgoing": str(tmp_path / "nope")}})
