"""Run the posture script where the server is: ``/bin/sh`` on this host, or one SSH exec
channel (one round trip) on a remote Linux or Windows server, host key checked as the ssh
transport does (roomwatch's own known_hosts; unknown and changed keys refused)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from collectors.ssh.session import Target
from monitor.core.errors import CollectError

log = logging.getLogger(__name__)

class LoginRefused(CollectError):
    """The server answered and refused the login (wrong user name or password): the device is
    up but cannot be inspected, which ``metric`` (e.g. ``winrm_auth_failed``) says."""

    def __init__(self, message: str, *, metric: str) -> None:
        super().__init__(message)
        self.metric = metric


# A runaway server must not fill the daemon's memory; a big package inventory is ~200 kB.
MAX_OUTPUT = 16 * 1024 * 1024


async def run_local(script: str, device: str) -> str:
    """The script's output from ``/bin/sh -s`` on this host."""
    # Its own process group: on cancel the whole pipeline (apt-get, grep…) goes, not only sh,
    # or a grandchild would hold the output pipe open and the shutdown would wait for it.
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-s", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = await proc.communicate(script.encode())
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        raise
    if len(out) > MAX_OUTPUT:
        raise CollectError(f"posture {device}: the local script printed over {MAX_OUTPUT} bytes")
    return out.decode("utf-8", errors="replace")


def run_ssh(target: Target, command: str, stdin: str | None = None) -> str:
    """Output of one command over a fresh SSH session (blocking; run it in a thread)."""
    import paramiko  # only when a server is read over ssh: the daemon starts without it

    from collectors.ssh.command import connect

    where = f"{target.address}:{target.port}"
    client = connect(target)
    try:
        chan_in, chan_out, _ = client.exec_command(command, timeout=target.command_timeout)
        if stdin is not None:
            chan_in.write(stdin)
        chan_in.channel.shutdown_write()
        out = chan_out.read(MAX_OUTPUT + 1)
        if len(out) > MAX_OUTPUT:
            raise CollectError(f"ssh {target.device}: the posture command printed over {MAX_OUTPUT} bytes")
        return out.decode("utf-8", errors="replace")
    except TimeoutError:
        raise CollectError(f"ssh {target.device}: the posture command did not finish within "
                           f"{target.command_timeout:g}s") from None
    except (OSError, EOFError, paramiko.SSHException) as err:
        raise CollectError(f"ssh {target.device}: session with {where} broke: "
                           f"{type(err).__name__}") from None
    finally:
        client.close()
