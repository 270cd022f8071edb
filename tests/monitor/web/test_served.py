"""The daemon serves the console on loopback with uvicorn in its own loop; `roomwatch user`."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from monitor import cli, daemon, wiring
from monitor import config as config_mod
from monitor.web.accounts import Accounts, Role

PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "web.crt", folder / "web.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _serve(tmp_path: Path, extra: str) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    config = tmp_path / "r.toml"
    config.write_text(f'state_dir = "{tmp_path}/state"\n'
                      f'[web]\nenabled = true\nlisten = "127.0.0.1:{port}"\n{extra}\n'
                      '[[devices]]\nname = "nms"\nkind = "server"\ninterval = "60s"\nlocal = {}\n')
    settings, _ = config_mod.load(config)
    parts = wiring.build(settings, "r.toml")
    accounts = Accounts(parts.state_dir / "web.db")
    accounts.add("oper1", Role.OPERATOR, PASSWORD, now=time.time(), by="test")
    accounts.close()
    d = daemon.Daemon(settings, parts, config_path=config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(d.run(signals=False),), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"127.0.0.1:{port}", config
    finally:
        loop.call_soon_threadsafe(d.stop.set)
        thread.join(timeout=15)
        loop.close()
    assert not thread.is_alive()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield from _serve(tmp_path, '[defaults]\njitter = "0s"')


def test_daemon_serves_metrics_to_loopback_and_refuses_anonymous_api(served: tuple[str, Path]) -> None:
    where, _ = served
    with httpx.Client(base_url=f"http://{where}", timeout=5) as client:
        metrics = client.get("/metrics")
        assert metrics.status_code == 200 and "roomwatch_devices 1.0" in metrics.text
        # The scheduler's first poll of the local device (jitter 0) shows in the histogram.
        polled = 'roomwatch_poll_duration_seconds_count{kind="server",transport="local"} 1.0'
        deadline = time.monotonic() + 20
        while polled not in metrics.text and time.monotonic() < deadline:
            time.sleep(0.2)
            metrics = client.get("/metrics")
        assert polled in metrics.text
        assert 'roomwatch_poll_failures_total{kind="server",transport="local"} 0.0' in metrics.text
        assert client.get("/api/v2/alerts").status_code == 401
        answer = client.get("/api/v2/alerts", auth=("oper1", PASSWORD))
        # This host's own posture checks may already fire (no antivirus here): all are its own.
        assert answer.status_code == 200 and {a["labels"]["device"] for a in answer.json()} <= {"nms"}
        assert client.get("/", follow_redirects=False).status_code == 303


def test_https_when_a_certificate_is_given(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    for where, _ in _serve(tmp_path, f'tls_cert = "{cert}"\ntls_key = "{key}"'):
        trust = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=f"https://{where}", verify=trust, timeout=5) as client:
            login = client.get("/login")
            assert login.status_code == 200
            assert "secure" in login.headers["set-cookie"].lower()
        with httpx.Client(base_url=f"http://{where}", timeout=5) as plain, pytest.raises(httpx.HTTPError):
            plain.get("/login")


def test_non_loopback_listen_without_tls_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "r.toml"
    config.write_text('[web]\nenabled = true\nlisten = "0.0.0.0:8470"\n')
    _, _, problems = config_mod.examine(config)
    assert problems == ["r.toml: web: listen '0.0.0.0:8470' is not loopback: set tls_cert and tls_key"]


def test_user_add_with_password_stdin_and_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "r.toml"
    config.write_text(f'state_dir = "{tmp_path}/state"\n')
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["user", "add", "张工", "--role", "operator", "--password-stdin", "-c", str(config)]) == 0
    assert cli.main(["user", "token", "张工", "-c", str(config)]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    accounts = Accounts(tmp_path / "state" / "web.db")
    try:
        assert accounts.check_token(token).name == "张工"  # type: ignore[union-attr]
        assert accounts.check_password("张工", PASSWORD, now=0).role is Role.OPERATOR  # type: ignore[union-attr]
        assert accounts.check_password("张工", "wrong password", now=0) is None
        assert [e.action for e in accounts.audit()] == ["user.token", "user.add"]
    finally:
        accounts.close()
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["user", "add", "x", "--role", "viewer", "--password-stdin", "-c", str(config)]) == 2
    assert cli.main(["user", "token", "nobody", "-c", str(config)]) == 2
    assert cli.main(["user", "list", "-c", str(config)]) == 0
    assert "张工\toperator" in capsys.readouterr().out
