"""Run one program on a Unix host over SSH (paramiko exec channel, no interactive shell).

For checks that need an exit status, separate stdout and stderr, and a secret on stdin
(backup repository passwords): netmiko's prompt-driven session gives none of those. Host keys
come from roomwatch's own known_hosts file and an unknown or changed key is refused, exactly
as in ``session``; errors name the device, never the secret.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import paramiko

from collectors.ssh import hostkeys
from collectors.ssh.session import HostKeyRefused, Target
from monitor.core.errors import CollectError

log = logging.getLogger(__name__)

_MAX_OUTPUT = 16 * 1024 * 1024  # a runaway program must not eat the daemon's memory


@dataclass(frozen=True, slots=True, kw_only=True)
class Completed:
    """What one remote program did: exit status and its two outputs (text)."""

    status: int
    stdout: str
    stderr: str


def run(target: Target, command: str, *, stdin: str = "", timeout: float) -> Completed:
    """Run ``command`` (a shell command line, already quoted) and feed it ``stdin``."""

    where = f"{target.address}:{target.port}"
    client = connect(target)
    try:
        chan_in, chan_out, chan_err = client.exec_command(command, timeout=timeout)
        if stdin:
            chan_in.write(stdin)
        chan_in.channel.shutdown_write()
        out = chan_out.read(_MAX_OUTPUT)
        err_text = chan_err.read(_MAX_OUTPUT)
        status = chan_out.channel.recv_exit_status()
    except TimeoutError:
        raise CollectError(f"ssh {target.device}: the command did not finish within "
                           f"{timeout:g}s") from None
    except (OSError, EOFError, paramiko.SSHException) as err:
        raise CollectError(f"ssh {target.device}: session with {where} broke: "
                           f"{type(err).__name__}") from None
    finally:
        client.close()
    return Completed(status=status, stdout=out.decode("utf-8", errors="replace"),
                     stderr=err_text.decode("utf-8", errors="replace"))


def connect(target: Target) -> paramiko.SSHClient:
    """An SSH client logged in to ``target``, its host key checked against roomwatch's own
    known_hosts (an unknown or changed key is refused); errors name the device, never a secret."""
    where = f"{target.address}:{target.port}"
    recorded = hostkeys.known_key(target.known_hosts, target.address, target.port)
    client = paramiko.SSHClient()
    if recorded is not None:
        client.get_host_keys().add(hostkeys.host_entry(target.address, target.port),
                                   recorded.get_name(), recorded)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(target.address, port=target.port, username=target.username,
                       password=target.password, key_filename=target.key_file,
                       look_for_keys=False, allow_agent=False, timeout=target.conn_timeout,
                       banner_timeout=target.conn_timeout, auth_timeout=target.conn_timeout)
    except paramiko.BadHostKeyException as err:
        client.close()
        raise HostKeyRefused(target, "changed", hostkeys.fingerprint(err.key),
                             hostkeys.fingerprint(err.expected_key)) from None
    except paramiko.AuthenticationException:
        client.close()
        raise CollectError(f"ssh {target.device}: authentication failed at {where} for user "
                           f"{target.username!r} (wrong password or key?)") from None
    except paramiko.SSHException as err:
        client.close()
        if "not found in known_hosts" in str(err):
            raise HostKeyRefused(target, "unknown") from None
        raise CollectError(f"ssh {target.device}: session with {where} failed: "
                           f"{type(err).__name__}") from None
    except (TimeoutError, OSError) as err:
        client.close()
        reason = getattr(err, "strerror", None) or type(err).__name__
        raise CollectError(f"ssh {target.device}: cannot connect to {where}: {reason}") from None
    return client
