"""Windows events forwarded by NXLog as JSON (im_msvistalog + to_json() over om_udp/om_tcp), bare
or after a syslog header, read into the same events as the text catalog. The datagrams are shaped
after NXLog's output (no Windows host here: recordings stand in, hence ``_recording``)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from collectors.syslog.catalog import load
from collectors.syslog.parse import parse
from tests.collectors.syslog.conftest import Syslogd

CATALOG = load()
MESSAGE_4625 = ("An account failed to log on.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-0-0\r\n\tAccount Name:"
                "\t\t-\r\n\r\nAccount For Which Logon Failed:\r\n\tSecurity ID:\t\tS-1-0-0\r\n\tAccount Name:"
                "\t\tAdministrator\r\n\r\nNetwork Information:\r\n\tSource Network Address:\t192.0.2.66")


def _event(event_id: int, **fields: object) -> dict[str, object]:
    return {"EventTime": "2026-12-03 16:00:00", "Hostname": "WIN-1.example.local",
            "Keywords": -9218868437227405312, "EventType": "AUDIT_FAILURE", "SeverityValue": 4,
            "EventID": event_id, "SourceName": "Microsoft-Windows-Security-Auditing",
            "ProviderGuid": "{54849625-5478-4994-A5BA-3E3B0328C30D}", "Channel": "Security",
            "RecordNumber": 123456, "EventReceivedTime": "2026-12-03 16:00:01",
            "SourceModuleName": "eventlog", "SourceModuleType": "im_msvistalog", **fields}


@pytest.mark.parametrize("entry", CATALOG.json, ids=lambda e: e.name)
def test_each_json_example_is_its_own_event(entry) -> None:  # type: ignore[no-untyped-def]
    got = CATALOG.match(entry.example)
    assert got is not None and (got.pattern, got.event) == (entry.name, entry.event)


@pytest.mark.parametrize(("frame", "event", "user", "source", "command"), [
    # om_udp with to_json() alone: the datagram is the object, no PRI, no header
    (json.dumps(_event(4625, TargetUserName="Administrator", IpAddress="192.0.2.66", Message=MESSAGE_4625)),
     "login_failed", "Administrator", "192.0.2.66", ""),
    # to_syslog_bsd() with $Message = to_json(): a syslog header, then the object
    ("<14>Dec  3 16:00:00 WIN-1 Microsoft-Windows-Security-Auditing[588]: "
     + json.dumps(_event("4625", TargetUserName="admin", IpAddress="-", Message=MESSAGE_4625)),
     "login_failed", "admin", "", ""),
    ("<14>1 2026-12-03T16:00:00.000Z WIN-1 Microsoft-Windows-Security-Auditing 588 - - "
     + json.dumps(_event(4624, EventType="AUDIT_SUCCESS", TargetUserName="alice", IpAddress="192.0.2.7")),
     "login", "alice", "192.0.2.7", ""),
    (json.dumps(_event(1102, EventType="INFO", SourceName="Microsoft-Windows-Eventlog",
                       SubjectUserName="Administrator")), "log_cleared", "Administrator", "", ""),
    (json.dumps(_event(104, EventType="INFO", SourceName="Microsoft-Windows-Eventlog", Channel="System",
                       SubjectUserName="Administrator")), "log_cleared", "Administrator", "", "System"),
    (json.dumps(_event(4720, EventType="AUDIT_SUCCESS", SubjectUserName="Administrator",
                       TargetUserName="backdoor")), "account_created", "Administrator", "", "backdoor"),
    (json.dumps(_event(4726, EventType="AUDIT_SUCCESS", SubjectUserName="Administrator",
                       TargetUserName="backdoor")), "account_deleted", "Administrator", "", "backdoor"),
    (json.dumps(_event(4634, EventType="AUDIT_SUCCESS")), None, "", "", ""),  # logoff: not in the catalog
    ('{"EventID": 4625, "TargetUserName": "x"', None, "", "", ""),  # cut off: kept, not read
])
def test_nxlog_json_frames_recording(frame: str, event: str | None, user: str, source: str,
                                     command: str) -> None:
    msg = parse(frame.encode(), received=1.0, source="192.0.2.30", device="win-1")
    got = CATALOG.match(msg.text)
    if event is None:
        assert got is None
        return
    assert got is not None
    assert (got.event, got.user, got.source, got.command) == (event, user, source, command)


def test_nxlog_json_over_udp_becomes_readings_recording(syslogd: Syslogd) -> None:
    frame = json.dumps(_event(4625, TargetUserName="Administrator", IpAddress="192.0.2.66",
                              Message=MESSAGE_4625))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(frame.encode(), ("127.0.0.1", syslogd.port("udp")))
    syslogd.wait_for(lambda: bool(syslogd.events("login_failed_total")))
    [failed] = syslogd.events("login_failed_total")
    assert (failed.labels["device"], failed.labels["user"], failed.labels["source"]) == (
        "core-sw", "Administrator", "192.0.2.66")
    syslogd.wait_for(lambda: bool(syslogd.stored("EventID")))
    [(device, _text, _severity, event, _cut)] = syslogd.stored("EventID")
    assert (device, event) == ("core-sw", "login_failed")


def test_a_wrong_json_entry_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.toml"
    bad.write_text('[[json]]\nname = "j"\nvendor = "windows"\nevent_id = 4625\nevent = "login_failed"\n'
                   "example = '{\"EventID\": 4624}'\n")
    with pytest.raises(ValueError, match=r"json\[0\] \(j\): its example is not a JSON event 4625"):
        load(bad)
    bad.write_text('[[json]]\nname = "k"\nvendor = "windows"\nevent_id = 1\nevent = "reboot"\n'
                   "example = '{\"EventID\": 1}'\n")
    with pytest.raises(ValueError, match=r"json k: event must be one of"):
        load(bad)
