"""Posture on the real local host: the batched script through /bin/sh, a password policy file
changed, a log truncated, a package installed and removed (a tiny .deb built here), and a
connection to a "public" address that lives in a network namespace this test creates."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.posture.collector import PostureCollector
from collectors.posture.options import CHECKS, PostureOptions
from collectors.posture.software import Inventories
from monitor.core.model import Reading

NOW = 1_796_000_000.0


def by(readings: list[Reading]) -> dict[str, float]:
    return {r.metric + "".join(f",{k}={v}" for k, v in sorted(r.labels.items()) if k != "reason"): r.value
            for r in readings}


def collect(col: PostureCollector, now: float, *, slow: bool = False) -> list[Reading]:
    async def run() -> list[Reading]:
        readings = await col.collect(now)
        if slow:
            await col.slow_done()
            readings = await col.collect(now + 1)
        await col.close()
        return readings
    return asyncio.run(run())


def test_local_host_every_check_reports_values_or_why_not(tmp_path: Path) -> None:
    col = PostureCollector("nms-01", PostureOptions(), state_dir=tmp_path)
    readings = collect(col, NOW, slow=True)
    flags = {r.labels["check"]: r for r in readings if r.metric == "posture_check_unavailable"}
    assert set(flags) == set(CHECKS)
    for check, flag in flags.items():
        if flag.value:
            assert flag.labels["reason"], check  # 无法检查 always says why
    got = by(readings)
    assert "password_min_length" in got and "egress_public_connections" in got
    assert got["software_installed_packages"] > 50  # this Debian host's dpkg database
    assert flags["software"].value == 1 and "baseline approve nms-01" in flags["software"].labels["reason"]


def test_password_policy_file_changed(tmp_path: Path) -> None:
    defs, pwq, pam = tmp_path / "login.defs", tmp_path / "pwquality.conf", tmp_path / "common-password"
    defs.write_text("# shadow defaults\nPASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\n")
    pwq.write_text("# minlen = 9\n")
    pam.write_text("password\trequisite\t\t\tpam_pwquality.so retry=3\n"
                   "password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok yescrypt\n")
    opts = PostureOptions(checks=["password_policy"], login_defs=str(defs), pwquality_conf=str(pwq),
                          pam_password=[str(pam)])
    before = by(collect(PostureCollector("nms-01", opts, state_dir=tmp_path), NOW))
    assert before["password_min_length"] == 8 and before["password_classes_required"] == 0
    assert before["password_max_age_days"] == 99999
    defs.write_text("PASS_MAX_DAYS\t90\n")
    pwq.write_text("minlen = 12\nucredit = -1\nlcredit = -1\ndcredit = -1\n")
    after = by(collect(PostureCollector("nms-01", opts, state_dir=tmp_path), NOW + 60))
    assert after["password_min_length"] == 12 and after["password_classes_required"] == 3
    assert after["password_max_age_days"] == 90
    pwq.unlink()
    gone = by(collect(PostureCollector("nms-01", opts, state_dir=tmp_path), NOW + 120))
    assert gone["password_min_length"] == 8  # pam_pwquality's built-in minimum


def test_truncated_and_removed_log(tmp_path: Path) -> None:
    app, audit = tmp_path / "app.log", tmp_path / "audit.log"
    app.write_text("line\n" * 200)
    audit.write_text("type=LOGIN msg=audit(1.0:1)\n" * 50)
    opts = PostureOptions(checks=["logs"], log_files=[str(app), str(audit)])
    col = PostureCollector("nms-01", opts, state_dir=tmp_path / "state")
    first = by(collect(col, NOW))
    assert first[f"log_truncated,path={app}"] == 0 and first[f"log_removed,path={audit}"] == 0
    with app.open("r+") as fh:
        fh.truncate(10)
    audit.unlink()
    # A new collector: positions survive a daemon restart (state file).
    second = by(collect(PostureCollector("nms-01", opts, state_dir=tmp_path / "state"), NOW + 60))
    assert second[f"log_truncated,path={app}"] == 1 and second[f"log_removed,path={audit}"] == 1
    assert second["posture_check_unavailable,check=logs"] in (0.0, 1.0)


def _dpkg(*args: str) -> None:
    # Other processes on this box may hold the dpkg lock for a while: wait, bounded.
    end = time.monotonic() + 90
    while True:
        done = subprocess.run(["dpkg", *args], capture_output=True, text=True, timeout=60)
        if done.returncode == 0:
            return
        if "lock" not in done.stderr or time.monotonic() > end:
            raise AssertionError(f"dpkg {' '.join(args)}: {done.stderr.strip()}")
        time.sleep(0.5)


@pytest.fixture
def tiny_deb(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    if shutil.which("dpkg-deb") is None or os.geteuid() != 0:
        pytest.skip("needs dpkg and root")
    name = "rwtest-" + secrets.token_hex(4)
    root = tmp_path / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: 1.0\nArchitecture: all\nMaintainer: roomwatch tests <root@localhost>\n"
        "Description: empty package made by the roomwatch posture tests\n")
    deb = tmp_path / f"{name}.deb"
    subprocess.run(["dpkg-deb", "--build", str(root), str(deb)], check=True, capture_output=True)
    try:
        yield name, deb
    finally:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            if subprocess.run(["dpkg-query", "-W", name], capture_output=True).returncode == 0:
                _dpkg("--purge", name)


def test_package_installed_and_removed_against_the_baseline(tmp_path: Path,
                                                            tiny_deb: tuple[str, Path]) -> None:
    name, deb = tiny_deb
    opts = PostureOptions(checks=["software"], slow_interval=60)
    col = PostureCollector("nms-01", opts, state_dir=tmp_path)
    collect(col, NOW, slow=True)
    Inventories(tmp_path).approve("nms-01", NOW)
    _dpkg("-i", str(deb))
    added = by(collect(PostureCollector("nms-01", opts, state_dir=tmp_path), NOW + 120, slow=True))
    assert added["software_added"] >= 1 and added[f"software_added_package,package={name}"] == 1
    assert added["posture_check_unavailable,check=software"] == 0
    Inventories(tmp_path).approve("nms-01", NOW + 200)
    _dpkg("--purge", name)
    removed = by(collect(PostureCollector("nms-01", opts, state_dir=tmp_path), NOW + 300, slow=True))
    assert removed["software_removed"] >= 1 and removed[f"software_removed_package,package={name}"] == 1


NS_SERVER = """
import socket, sys, time
socks = []
for port in (443, 25):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("198.51.100.7", port)); s.listen(8); socks.append(s)
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); dns.bind(("198.51.100.7", 53))
print("ready", flush=True)
dns.settimeout(60)  # bounded: killed by the test long before
try:
    for _ in range(4):  # a "public resolver": echoes each query back as its answer
        query, peer = dns.recvfrom(512); dns.sendto(query, peer)
except TimeoutError:
    pass
time.sleep(60)
"""


@pytest.fixture
def public_host() -> Iterator[str]:
    """198.51.100.7 on a veth into a namespace made here; nothing leaves this machine."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2")
    tag = secrets.token_hex(3)
    ns, host_if, ns_if = f"rwpost{tag}", f"rwpa{tag}", f"rwpb{tag}"

    def ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)

    try:
        ip("netns", "add", ns)
    except subprocess.CalledProcessError:
        pytest.skip("cannot create a network namespace here")
    proc = None
    try:
        ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        ip("link", "set", ns_if, "netns", ns)
        ip("addr", "add", "198.51.100.6/31", "dev", host_if)
        ip("link", "set", host_if, "up")
        ip("-n", ns, "addr", "add", "198.51.100.7/31", "dev", ns_if)
        ip("-n", ns, "link", "set", ns_if, "up")
        proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", NS_SERVER],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield "198.51.100.7"
    finally:
        if proc is not None:
            proc.kill()
            proc.wait(timeout=10)
        subprocess.run(["ip", "link", "del", host_if], capture_output=True, timeout=10)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


def test_connection_to_a_public_address_and_a_mail_port(tmp_path: Path, public_host: str) -> None:
    web = socket.create_connection((public_host, 443), timeout=5)
    mail = socket.create_connection((public_host, 25), timeout=5)
    try:
        got = by(collect(PostureCollector("nms-01", PostureOptions(checks=["egress"]),
                                          state_dir=tmp_path), NOW))
        assert got[f"egress_public_remote,remote={public_host}:443"] == 1
        assert got[f"egress_mail_remote,remote={public_host}:25"] == 1
        assert got["egress_public_connections"] >= 1 and got["egress_mail_connections"] >= 1
        allowed = by(collect(PostureCollector("nms-01", PostureOptions(
            checks=["egress"], egress_allow=[public_host]), state_dir=tmp_path), NOW + 60))
        assert not any(public_host in key for key in allowed)
    finally:
        web.close()
        mail.close()


def test_udp_dns_to_a_public_resolver_other_than_the_allowed_one(tmp_path: Path, public_host: str) -> None:
    # A resolver socket as glibc makes it: connect()ed UDP, a query out, the answer back.
    resolver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    resolver.settimeout(5)
    try:
        resolver.connect((public_host, 53))
        query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"
        resolver.send(query)
        assert resolver.recv(512) == query  # the namespace's resolver answered: real traffic
        site = ["192.0.2.53:53"]  # the allowed resolver is another one
        got = by(collect(PostureCollector("nms-01", PostureOptions(checks=["egress"], egress_allow=site),
                                          state_dir=tmp_path), NOW))
        assert got[f"egress_public_remote,remote={public_host}:53/udp"] == 1
        assert got["posture_check_unavailable,check=egress"] == 0
        allowed = by(collect(PostureCollector("nms-01", PostureOptions(
            checks=["egress"], egress_allow=[*site, f"{public_host}:53"]), state_dir=tmp_path), NOW + 60))
        assert not any(public_host in key for key in allowed)
    finally:
        resolver.close()


def test_a_posture_bug_never_takes_the_host_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from collectors.posture import linux
    from collectors.posture.collector import WithPosture

    class Host:
        async def collect(self, now: float) -> list[Reading]:
            return [Reading("memory_percent", 40.0, {}, now)]

        async def close(self) -> None:
            return None

    def broken(*_: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(linux, "antivirus", broken)
    col = WithPosture(Host(), PostureCollector("nms-01", PostureOptions(checks=["antivirus", "egress"]),
                                               state_dir=tmp_path))
    got = by(asyncio.run(col.collect(NOW)))
    assert got["memory_percent"] == 40 and got["posture_check_unavailable,check=antivirus"] == 1
    assert got["posture_check_unavailable,check=egress"] == 1
