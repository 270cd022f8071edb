"""Syslog headers, charsets and TCP framing, in the words devices really send."""

from __future__ import annotations

import pytest

from collectors.syslog.parse import Framer, decode, parse

T = 1_764_000_000.0


def _parse(raw: bytes, charset: str | None = None):  # type: ignore[no-untyped-def]
    return parse(raw, received=T, source="192.0.2.7", device="core-sw", charset=charset)


def test_rfc5424_with_structured_data_and_bom() -> None:
    m = _parse(b'<165>1 2026-12-03T16:00:00.003Z fw1 sshd 812 ID47 [exampleSDID@32473 iut="3"] '
               b"\xef\xbb\xbfFailed password for root from 192.0.2.66 port 22 ssh2")
    assert (m.facility, m.severity, m.host, m.app) == (20, 5, "fw1", "sshd")
    assert m.text == "Failed password for root from 192.0.2.66 port 22 ssh2"
    assert m.stamp == "2026-12-03T16:00:00.003Z" and m.parsed


def test_rfc5424_nil_values() -> None:
    m = _parse(b"<13>1 - - - - - - hello")
    assert (m.host, m.app, m.stamp, m.text) == ("", "", "", "hello")


@pytest.mark.parametrize(("raw", "host", "app", "text_start"), [
    (b"<38>Dec  3 16:00:00 web1 sshd[4242]: Invalid user test from 192.0.2.66 port 41234",
     "web1", "sshd", "sshd[4242]: Invalid"),
    # Huawei VRP puts the year after the day
    (b"<187>Dec  3 2026 16:00:00 HUAWEI %%01SHELL/5/CMDRECORD(s)[27]:Recorded command information.",
     "HUAWEI", "%%01SHELL/5/CMDRECORD(s)", "%%01SHELL"),
    # H3C Comware: milliseconds and the year after the time
    (b"<190>Dec  3 16:00:00:809 2026 H3C %%10SHELL/6/SHELL_CMD: -Line=vty0-IPAddr=192.0.2.7-User=admin;",
     "H3C", "%%10SHELL/6/SHELL_CMD", "%%10SHELL"),
    # rsyslog's forwarding template with an ISO 8601 time
    (b"<86>2026-12-03T16:00:00.123456+08:00 db1 sudo:   alice : TTY=pts/0 ; COMMAND=/bin/ls",
     "db1", "sudo", "sudo:   alice"),
])
def test_rfc3164_as_devices_send_it(raw: bytes, host: str, app: str, text_start: str) -> None:
    m = _parse(raw)
    assert (m.host, m.app) == (host, app)
    assert m.text.startswith(text_start) and m.parsed


def test_cisco_sequence_numbered_without_header_keeps_the_whole_text() -> None:
    m = _parse(b"<189>123: *Dec  3 16:00:00.123: %SYS-5-CONFIG_I: Configured from console by admin on vty0")
    assert (m.facility, m.severity) == (23, 5)
    assert "%SYS-5-CONFIG_I: Configured from console by admin" in m.text


def test_gbk_detected_and_by_charset() -> None:
    raw = "<134>Dec  3 16:00:00 old-sw 用户 管理员 登录失败".encode("gbk")
    assert _parse(raw).text == "用户 管理员 登录失败"
    assert _parse(raw, charset="gbk").text == "用户 管理员 登录失败"


def test_garbage_is_kept_not_dropped() -> None:
    m = _parse(b"\xff\xfe\x00\x01 garbage \x80\x81")
    assert not m.parsed and (m.facility, m.severity) == (1, 5)  # RFC 3164 4.3.3: user.notice
    assert "garbage" in m.text and "\x00" not in m.text
    assert m.raw == b"\xff\xfe\x00\x01 garbage \x80\x81"
    assert not _parse(b"<999>too big a priority").parsed


def test_decode_never_raises() -> None:
    assert decode(b"\xff\xff\xff") == "\ufffd\ufffd\ufffd"


def test_framer_octet_counting_and_newlines_split_anywhere() -> None:
    stream = b"11 <13>1 - - a27 <13>Dec  3 16:00:00 h x: y\n<13>plain line\r\n17 <13>1 - - - - -"
    framer = Framer(100)
    got = [f for i in range(len(stream)) for f in framer.feed(stream[i:i + 1])]
    assert got == [(b"<13>1 - - a", False), (b"<13>Dec  3 16:00:00 h x: y", False),
                   (b"<13>plain line", False)]
    assert framer.feed(b" -") == [(b"<13>1 - - - - - -", False)]


def test_framer_cuts_long_frames_and_keeps_its_memory_bounded() -> None:
    framer = Framer(480)
    long_line = b"<13>" + b"x" * 70000 + b"\n<13>next\n"
    got = [f for i in range(0, len(long_line), 4096) for f in framer.feed(long_line[i:i + 4096])]
    assert got == [(b"<13>" + b"x" * 476, True), (b"<13>next", False)]
    counted = b"70000 <13>" + b"y" * 69996 + b"5 <13>z"
    got = [f for i in range(0, len(counted), 4096) for f in framer.feed(counted[i:i + 4096])]
    assert got == [(b"<13>" + b"y" * 476, True), (b"<13>z", False)]
    assert len(framer._buf) == 0
