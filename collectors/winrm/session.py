"""One PowerShell script over WS-Management (pywinrm): open a shell, run, receive, close.

Blocking (requests underneath): the collector runs it in a worker thread. pywinrm's own
``get_command_output`` retries a Receive that timed out forever; here the receive loop has a
deadline and an output cap, so a hung or chatty server cannot hold a thread or fill memory.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import requests
from winrm.exceptions import (
    InvalidCredentialsError,
    WinRMError,
    WinRMOperationTimeoutError,
    WinRMTransportError,
    WSManFaultError,
)
from winrm.protocol import Protocol

from collectors.base import MAX_ANSWER
from collectors.posture.transport import LoginRefused
from monitor.core.errors import CollectError

log = logging.getLogger(__name__)

UTF8 = 65001  # the shell's code page: non-ASCII names (Chinese Windows) arrive intact


@dataclass(frozen=True, kw_only=True)
class WinrmTarget:
    """How to reach one server's WinRM listener."""

    device: str
    endpoint: str
    username: str
    password: str = field(repr=False)
    auth: str = "ntlm"
    ca_file: str | None = None
    verify_certificate: bool = True
    operation_timeout: float = 20.0
    read_timeout: float = 30.0
    command_timeout: float = 120.0


def run_script(target: WinrmTarget, command: str) -> str:
    """The standard output of ``command`` (a ``powershell -EncodedCommand`` line); CollectError
    naming the device and what went wrong (never the password) when it could not run."""
    where = f"winrm {target.device}"
    try:
        return _run(target, command)
    except InvalidCredentialsError:
        raise LoginRefused(f"{where}: login refused for user {target.username!r} at {target.endpoint} "
                           "(wrong user name or password, or the account may not use WinRM)",
                           metric="winrm_auth_failed") from None
    except (requests.Timeout, WinRMOperationTimeoutError):
        raise CollectError(f"{where}: {target.endpoint} did not answer within "
                           f"{target.read_timeout:g}s") from None
    except requests.exceptions.SSLError:
        raise CollectError(f"{where}: the certificate of {target.endpoint} is not trusted "
                           "(set ca_file, or verify_certificate = false)") from None
    except requests.ConnectionError as err:
        raise CollectError(f"{where}: cannot connect to {target.endpoint}: {_root(err)}") from None
    except WSManFaultError as err:
        raise CollectError(f"{where}: the server refused the request: {str(err.reason)[:200]}") from None
    except WinRMTransportError as err:
        raise CollectError(f"{where}: {target.endpoint} answered HTTP {err.code}") from None
    except WinRMError as err:
        raise CollectError(f"{where}: {type(err).__name__}") from None


def _run(target: WinrmTarget, command: str) -> str:
    deadline = time.monotonic() + target.command_timeout
    protocol = Protocol(
        target.endpoint, transport=target.auth,  # type: ignore[arg-type]
        username=target.username, password=target.password,
        server_cert_validation="validate" if target.verify_certificate else "ignore",
        # ca_file, else the default bundle: never a CA path from the daemon's environment.
        ca_trust_path=target.ca_file,  # type: ignore[arg-type]
        operation_timeout_sec=int(target.operation_timeout), read_timeout_sec=int(target.read_timeout),
        proxy=None)  # a listener on the room's network: never through a proxy from the environment
    shell = protocol.open_shell(codepage=UTF8)
    try:
        command_id = protocol.run_command(shell, command)
        out: list[bytes] = []
        size, done = 0, False
        while not done:
            if time.monotonic() > deadline:
                raise CollectError(f"winrm {target.device}: the script did not finish within "
                                   f"{target.command_timeout:g}s")
            try:
                chunk, _, _, done = protocol.get_command_output_raw(shell, command_id)
            except WinRMOperationTimeoutError:
                continue  # the server's long poll ended without output: ask again, within the deadline
            size += len(chunk)
            if size > MAX_ANSWER:
                raise CollectError(f"winrm {target.device}: the script printed over {MAX_ANSWER} bytes")
            out.append(chunk)
        protocol.cleanup_command(shell, command_id)
    finally:
        _close(protocol, shell, target.device)
    return b"".join(out).decode("utf-8", errors="replace")


def _close(protocol: Protocol, shell: str, device: str) -> None:
    # A shell left open counts against the server's MaxShellsPerUser until it times out.
    try:
        protocol.close_shell(shell)
    except (WinRMError, WinRMTransportError, requests.RequestException) as err:
        log.debug("winrm %s: closing the shell failed: %s", device, type(err).__name__)


def _root(err: BaseException) -> str:
    # requests wraps urllib3 wraps the OSError; the innermost names the cause (refused, no route).
    while err.__context__ is not None:
        err = err.__context__
    return type(err).__name__ if not str(err) else f"{type(err).__name__}: {str(err)[:120]}"
