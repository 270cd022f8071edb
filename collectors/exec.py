"""Run a command each interval and read InfluxDB line protocol from its stdout.

This is how sites plug in the sensor scripts of their 动环 (power-and-environment) systems,
and how tests feed any reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from pydantic import Field

from collectors import lineproto
from collectors.base import MAX_ANSWER, DeviceInfo, Shared
from monitor.core.durations import Duration
from monitor.core.errors import CollectError
from monitor.core.model import Reading
from monitor.core.options import PluginOptions

log = logging.getLogger(__name__)

SAMPLE = """\
# A 动环 temperature/humidity controller read by a site script printing line protocol:
#   temperature_celsius,sensor=north value=23.5
#   humidity_percent,sensor=north value=48
[[devices]]
name = "room1-th"
kind = "sensor"
address = "192.0.2.50"
site = "总部"
room = "一号机房"
rack = "A01"
level = 1
parent = "core-sw-1"
interval = "60s"
timeout = "10s"
exec = { command = ["/usr/local/bin/dh-sensor", "--host", "192.0.2.50"], timeout = "10s" }

[[devices]]
name = "core-sw-1"
kind = "switch"
address = "192.0.2.1"
port = 161
room = "一号机房"
level = 1
exec = { command = ["/usr/local/bin/switch-health", "192.0.2.1"] }

[[devices]]
name = "ups-1"
kind = "ups"
address = "192.0.2.20"
room = "一号机房"
level = 1
parent = "core-sw-1"
design_runtime_minutes = 480     # 000: the UPS is designed for 8 h; alarm when runtime is below
exec = { command = ["/usr/local/bin/ups-status", "192.0.2.20"] }
"""

# Of stderr only the end is kept (its last line goes into the error message).
_STDERR_TAIL = 4096


class ExecOptions(PluginOptions):
    """Run a command printing line protocol (the ``exec`` sub-table)."""

    command: list[str] = Field(min_length=1, description="Program and arguments; no shell.")
    timeout: Duration = Field(10.0, gt=0, description="Kill the command after this long.")


Options = ExecOptions


def build(device: DeviceInfo, options: ExecOptions, shared: Shared) -> ExecCollector:
    """The collector of one ``exec`` device."""
    return ExecCollector(device.name, options)


class ExecCollector:
    """Runs ``command`` once per collection; its stdout is line protocol."""

    def __init__(self, device: str, options: ExecOptions) -> None:
        self.device = device
        self.options = options
        # Only the program's name goes into messages: arguments may carry tokens.
        self._program = os.path.basename(options.command[0])

    async def collect(self, now: float) -> list[Reading]:
        """Run the command; raise CollectError if it fails, hangs, or prints nothing usable."""
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.options.command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # so a timeout can kill the whole process group
            )
        except OSError as err:
            raise CollectError(
                f"exec {self.device}: cannot start {self._program}: {err.strerror}"
            ) from None
        try:
            out, err_text = await asyncio.wait_for(_read(proc), timeout=self.options.timeout)
        except asyncio.CancelledError:
            _kill_group(proc)
            raise
        except TimeoutError:
            out, why = None, f"did not finish within {self.options.timeout:g}s; killed"
        else:
            why = f"printed more than {MAX_ANSWER // (1024 * 1024)} MiB; stopped reading and killed it"
        if out is None:
            _kill_group(proc)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), timeout=2)
            raise CollectError(f"exec {self.device}: {self._program} {why}")
        if proc.returncode != 0:
            tail = err_text.decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise CollectError(
                f"exec {self.device}: {self._program} exited with status {proc.returncode}"
                + (f": {tail[0][:200]}" if tail[0] else "")
            )
        text = out.decode("utf-8", errors="replace")
        result = lineproto.parse(text, now)
        if result.errors:
            number, reason = result.errors[0]
            message = (
                f"exec {self.device}: {self._program} printed {len(result.errors)} line(s) "
                f"that are not line protocol; first at line {number}: {reason}"
            )
            if not result.readings:
                raise CollectError(message)
            log.warning(message)
        if not result.readings:
            raise CollectError(f"exec {self.device}: {self._program} printed no readings")
        return result.readings

    async def close(self) -> None:
        """Nothing stays open between runs."""


async def _read(proc: asyncio.subprocess.Process) -> tuple[bytes | None, bytes]:
    """stdout (None once it passes MAX_ANSWER: reading stops there) and the end of stderr,
    read together so that neither pipe can fill and stall the command."""
    assert proc.stdout is not None and proc.stderr is not None
    tail = asyncio.create_task(_tail(proc.stderr, _STDERR_TAIL))
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := await proc.stdout.read(65536):
            size += len(chunk)
            if size > MAX_ANSWER:
                return None, b""
            chunks.append(chunk)
        await proc.wait()
        return b"".join(chunks), await tail
    finally:
        tail.cancel()


async def _tail(stream: asyncio.StreamReader, keep: int) -> bytes:
    end = b""
    while chunk := await stream.read(65536):
        end = (end + chunk)[-keep:]
    return end


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
