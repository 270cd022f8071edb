"""One blocking netmiko session: verify the host key, log in, run commands, log out.

Runs in a worker thread (the collector wraps it with ``asyncio.to_thread``). Every failure
becomes a CollectError or HostKeyRefused whose text names the device and what to do, never
a password.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from pathlib import Path

from collectors.base import MAX_ANSWER
from collectors.ssh import hostkeys
from collectors.ssh.capped import capped_reads
from collectors.ssh.configs import family
from monitor.core.errors import CollectError

log = logging.getLogger(__name__)

# What devices answer to a command they do not know; such output is "no data", not an error.
_REJECTED = ("% Invalid input", "% Unrecognized command", "Error: Unrecognized command",
             "% Unknown command", "Error: Wrong parameter", "% Incomplete command",
             "command not found", "Unrecognized command found")


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Everything needed to reach one device; ``password`` and ``enable_secret`` are secrets."""

    device: str
    address: str
    port: int
    device_type: str
    username: str
    password: str | None
    key_file: str | None
    enable_secret: str | None
    conn_timeout: float
    command_timeout: float
    known_hosts: Path


class HostKeyRefused(Exception):
    """The server's host key is not the recorded one (``changed``) or none is recorded."""

    def __init__(self, target: Target, kind: str, offered: str = "", expected: str = "") -> None:
        self.kind = kind
        self.offered = offered
        self.expected = expected
        if kind == "changed":
            text = (f"ssh {target.device}: HOST KEY CHANGED for {target.address}:{target.port} "
                    f"(offered {offered}, recorded {expected}); refused. A changed key is a "
                    f"security event: verify the device, then `roomwatch ssh trust {target.device}`")
        else:
            text = (f"ssh {target.device}: host key of {target.address}:{target.port} is not "
                    f"trusted yet; refused. Run `roomwatch ssh trust {target.device}`")
        super().__init__(text)


class AuthRefused(Exception):
    """The device answered SSH but refused the login: it is up, and roomwatch cannot read it."""

    def __init__(self, target: Target) -> None:
        super().__init__(f"ssh {target.device}: login refused at {target.address}:{target.port} for "
                         f"user {target.username!r} (wrong password or key?)")


def run(target: Target, commands: list[str]) -> dict[str, str | None]:
    """Output of each command (None where the device rejected it), from one session."""
    # paramiko and netmiko load on the first ssh poll, not with the config (start-up time).
    import paramiko
    from netmiko import ConnectHandler
    from netmiko.exceptions import (
        NetmikoAuthenticationException,
        NetmikoTimeoutException,
        ReadTimeout,
    )

    params: dict[str, object] = {
        "device_type": target.device_type, "host": target.address, "port": target.port,
        "username": target.username, "password": target.password or "",
        "secret": target.enable_secret or "",
        "use_keys": bool(target.key_file), "key_file": target.key_file, "allow_agent": False,
        # Host keys: only roomwatch's own file counts, and unknown keys are refused.
        "ssh_strict": True, "system_host_keys": False,
        "alt_host_keys": True, "alt_key_file": str(target.known_hosts),
        "conn_timeout": target.conn_timeout, "auth_timeout": target.conn_timeout,
        "banner_timeout": target.conn_timeout, "read_timeout_override": target.command_timeout,
    }
    where = f"{target.address}:{target.port}"
    # netmiko logs every byte it writes at DEBUG, passwords and enable secrets included.
    quiet = logging.getLogger("netmiko")
    if quiet.getEffectiveLevel() < logging.INFO:
        quiet.setLevel(logging.INFO)
    # paramiko's transport thread logs every failed handshake as an ERROR traceback (a device
    # that never sends its banner: one block per attempt); the error raised below says it once.
    logging.getLogger("paramiko.transport").setLevel(logging.CRITICAL)
    try:
        conn = ConnectHandler(**params)
    except NetmikoAuthenticationException:
        raise AuthRefused(target) from None
    except NetmikoTimeoutException as err:
        cause = err.__context__
        if isinstance(cause, paramiko.BadHostKeyException):
            raise HostKeyRefused(target, "changed", hostkeys.fingerprint(cause.key),
                                 hostkeys.fingerprint(cause.expected_key)) from None
        if isinstance(cause, paramiko.SSHException) and "known_hosts" in str(cause):
            raise HostKeyRefused(target, "unknown") from None
        if isinstance(cause, paramiko.SSHException) and ("banner" in str(cause)
                                                          or "No existing session" in str(cause)):
            # paramiko says either, depending on whether its thread or the login noticed first.
            raise CollectError(f"ssh {target.device}: {where} accepted the connection but no SSH "
                               f"handshake followed within {target.conn_timeout:g}s (no banner: not "
                               "an SSH server, or hung)") from None
        if isinstance(cause, OSError | socket.timeout):
            reason = getattr(cause, "strerror", None) or type(cause).__name__
            raise CollectError(f"ssh {target.device}: cannot connect to {where}: {reason}") from None
        raise CollectError(f"ssh {target.device}: no usable SSH session with {where} within "
                           f"{target.conn_timeout:g}s (prompt not recognised or no answer)") from None
    except ReadTimeout:
        raise CollectError(f"ssh {target.device}: logged in to {where} but the prompt was not "
                           f"recognised within {target.command_timeout:g}s (device_type "
                           f"{target.device_type!r} right?)") from None
    except (OSError, EOFError, paramiko.SSHException) as err:
        raise CollectError(f"ssh {target.device}: session with {where} failed: "
                           f"{type(err).__name__}") from None
    try:
        if target.enable_secret and family(target.device_type) in ("cisco", "ruijie"):
            conn.enable()
        out: dict[str, str | None] = {}
        for command in commands:
            try:
                with capped_reads(conn, MAX_ANSWER, f"ssh {target.device}: {command!r}"):
                    text = conn.send_command(command, read_timeout=target.command_timeout)
            except ReadTimeout:
                raise CollectError(f"ssh {target.device}: {command!r} did not finish within "
                                   f"{target.command_timeout:g}s") from None
            text = str(text)
            rejected = not text.strip() or any(word in text for word in _REJECTED)
            out[command] = None if rejected else text
            if out[command] is None:
                log.debug("ssh %s: %r not supported by the device", target.device, command)
        return out
    except (OSError, EOFError, paramiko.SSHException) as err:
        raise CollectError(f"ssh {target.device}: session with {where} broke: "
                           f"{type(err).__name__}") from None
    finally:
        try:
            conn.disconnect()
        except Exception:  # a dead session cannot be closed politely; nothing is lost
            log.debug("ssh %s: disconnect failed", target.device)
