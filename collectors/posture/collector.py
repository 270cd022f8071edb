"""The posture collector: one script per poll, every check's parser over its answer, and
``posture_check_unavailable{check}`` for each check (1 with the reason when it could not run)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from collectors.base import Collector
from collectors.posture import accounts, egress, linux, linux_script, logs, software, windows, windows_script
from collectors.posture.options import PostureOptions
from collectors.posture.outcome import Outcome, unavailable
from collectors.posture.transport import LoginRefused, run_local, run_ssh
from collectors.ssh.session import HostKeyRefused, Target
from monitor.core.errors import CollectError
from monitor.core.model import Reading

log = logging.getLogger(__name__)

OS = Literal["linux", "windows"]


class PostureCollector:
    """One server's posture, read locally (``target`` None) or over SSH: one script per poll.
    A Windows server runs one PowerShell script, over its OpenSSH (``target``) or through
    ``runner`` (script text → its output, blocking: the winrm transport, whose refused login
    is ``auth_metric`` 1); with ``server`` the same script also gives the server's own
    readings (CPU, memory, disks, uptime).

    The slow Linux checks (package inventory, pending updates: apt's solver takes seconds) run
    every ``slow_interval`` as a background run of their own, so a poll never waits for them;
    each poll repeats their last outcome so their series and alerts stay current.
    """

    def __init__(self, device: str, options: PostureOptions, *, state_dir: Path,
                 target: Target | None = None, os: OS = "linux", reports_host_key: bool = False,
                 runner: Callable[[str], str] | None = None, server: bool = False,
                 auth_metric: str | None = None) -> None:
        if os == "windows" and runner is None:
            if target is None:
                raise CollectError(f"posture {device}: a Windows server is read over ssh or winrm")
            ssh = target
            runner = lambda text: run_ssh(ssh, windows_script.command(text))  # noqa: E731
        self.runner = runner
        self.server = server
        self.auth_metric = auth_metric  # the runner's LoginRefused metric, 0 after each login
        self.device = device
        self.options = options
        self.os = os
        self.target = target
        self.reports_host_key = reports_host_key
        self.inventories = software.Inventories(state_dir)
        self._state_path = self.inventories.path(device, "state")
        self._state: dict[str, Any] | None = None
        self._slow_at: float | None = None
        self._slow_task: asyncio.Task[dict[str, Outcome]] | None = None
        self._slow: dict[str, Outcome] = {}

    async def collect(self, now: float) -> list[Reading]:
        """Readings of every configured check; CollectError when the server cannot be reached."""
        if self.os == "linux":
            self._start_slow(now)
        try:
            text = await self._run(slow=False)
        except HostKeyRefused as refused:
            log.warning("%s", refused)
            return [Reading("ssh_host_key_unknown", float(refused.kind == "unknown"), {}, now),
                    Reading("ssh_host_key_changed", float(refused.kind == "changed"), {}, now)]
        except LoginRefused as refused:  # it answered: not down, but nothing could be checked
            log.warning("%s", refused)
            return [Reading(refused.metric, 1.0, {}, now)]
        outcomes = self._parse(text, now)
        out = [Reading("ssh_host_key_unknown", 0.0, {}, now),
               Reading("ssh_host_key_changed", 0.0, {}, now)] if self.reports_host_key else []
        if self.auth_metric:
            out.append(Reading(self.auth_metric, 0.0, {}, now))
        if self.server:
            out += self._server_readings(text, now)
        for check in self.options.checks:
            out += outcomes.get(check, unavailable("not checked")).readings(check, now)
        self._save_state()
        return out

    async def slow_done(self) -> None:
        """Wait for a running slow run and take its outcome (tests and ``server baseline``)."""
        if self._slow_task is not None:
            await asyncio.wait([self._slow_task])
            self._take_slow()

    async def read_inventory(self) -> dict[str, str] | None:
        """The installed packages now (``roomwatch server baseline approve``); None if the
        server has no package tool. CollectError / HostKeyRefused when it cannot be read."""
        if self.os == "windows":
            assert self.runner is not None
            text = await asyncio.to_thread(self.runner, windows_script.script(["software"], server=False))
            return windows.software(windows.parse(text))
        script = linux_script.script(self.options.model_copy(update={"checks": ["software"]}), slow=True)
        text = await (run_local(script, self.device) if self.target is None else
                      asyncio.to_thread(run_ssh, self.target, "/bin/sh -s", script))
        return software.dpkg_rpm(linux_script.split(text).get("packages"))

    async def close(self) -> None:
        """Stop a slow run still going; sessions close after each collection."""
        task, self._slow_task = self._slow_task, None
        if task is None:
            return
        if not task.done():
            task.cancel()
            await asyncio.wait([task])
        if not task.cancelled() and task.exception() is not None:
            log.debug("posture %s: last slow run failed: %s", self.device, task.exception())

    def _start_slow(self, now: float) -> None:
        self._take_slow()
        wanted = linux_script.SLOW_CHECKS & set(self.options.checks)
        running = self._slow_task is not None and not self._slow_task.done()
        due = self._slow_at is None or now - self._slow_at >= self.options.slow_interval
        if wanted and not running and due:
            self._slow_at = now
            self._slow_task = asyncio.create_task(self._slow_run(now))

    def _take_slow(self) -> None:
        task = self._slow_task
        if task is None or not task.done():
            return
        self._slow_task = None
        if task.cancelled():
            return
        err = task.exception()
        if isinstance(err, CollectError | HostKeyRefused):
            reason = str(err).split(": ", 1)[-1]
            self._slow = {c: unavailable(reason) for c in linux_script.SLOW_CHECKS}
        elif err is not None:  # a parser bug: say so per check, never take the device down
            log.error("posture %s: slow checks crashed: %r", self.device, err)
            self._slow = {c: unavailable(f"internal error: {type(err).__name__}")
                          for c in linux_script.SLOW_CHECKS}
        else:
            self._slow = task.result()

    async def _slow_run(self, now: float) -> dict[str, Outcome]:
        sec = linux_script.split(await self._run(slow=True))
        return {"patches": linux.patches(sec, now),
                "software": software.judge(self.inventories, self.device,
                                           software.dpkg_rpm(sec.get("packages")), now)}

    async def _run(self, *, slow: bool) -> str:
        if self.os == "windows":
            assert self.runner is not None
            text = windows_script.script(self.options.checks, server=self.server)
            return await asyncio.to_thread(self.runner, text)
        script = linux_script.script(self.options, slow=slow)
        if self.target is None:
            return await run_local(script, self.device)
        return await asyncio.to_thread(run_ssh, self.target, "/bin/sh -s", script)

    def _server_readings(self, text: str, now: float) -> list[Reading]:
        try:
            return windows.server_readings(windows.parse(text), now)
        except ValueError as err:
            # The server answered but not in JSON: its checks say 无法检查; no readings are invented.
            log.warning("posture %s: PowerShell answer not understood: %s", self.device, err)
            return []

    def _parse(self, text: str, now: float) -> dict[str, Outcome]:
        opts = self.options
        if self.os == "windows":
            try:
                doc = windows.parse(text)
            except ValueError as err:
                return {c: unavailable(f"PowerShell answer not understood: {err}") for c in opts.checks}
            return {
                "antivirus": windows.antivirus(doc, now), "patches": windows.patches(doc, now),
                "removable_media": windows.removable_media(doc),
                "password_policy": windows.password_policy(doc),
                "egress": windows.connections(doc, opts),
                "logs": windows.cleared(doc, now, opts.log_cleared_window),
                "software": software.judge(self.inventories, self.device, windows.software(doc), now),
                "privileged_accounts": windows.privileged_accounts(
                    doc, now, approved=opts.approved_admins, unused_days=opts.unused_days)}
        sec = linux_script.split(text)
        state = self._load_state()
        found = {
            "antivirus": linux.antivirus(sec, now),
            "removable_media": linux.removable_media(sec),
            "password_policy": _merge(linux.password_policy(sec), linux.password_accounts(sec)),
            "egress": egress.linux(sec.get("tcp"), opts, udp=sec.get("udp")),
            "logs": logs.watch(state.setdefault("logs", {}), sec.get("logs"), sec.get("journal"),
                               watched=opts.log_files, now=now, window=opts.log_cleared_window,
                               uid_groups=sec.get("id", "")),
            "privileged_accounts": accounts.privileged_accounts(
                sec, now, approved=opts.approved_admins, unused_days=opts.unused_days)}
        pending = unavailable("the first package inventory is still being read")
        for check in linux_script.SLOW_CHECKS:
            found[check] = self._slow.get(check, pending)
        return found

    def _load_state(self) -> dict[str, Any]:
        if self._state is None:
            try:
                self._state = json.loads(self._state_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._state = {}
        return self._state

    def _save_state(self) -> None:
        # Log sizes and journal position survive restarts, so truncation across one is seen.
        if self._state is None:
            return
        try:
            self._state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._state), encoding="utf-8")
            os.replace(tmp, self._state_path)
        except OSError as err:
            log.warning("posture %s: cannot keep state in %s: %s", self.device, self._state_path,
                        err.strerror)


def _merge(policy: Outcome, ageing: Outcome) -> Outcome:
    """The policy plus per-account ageing where /etc/shadow was readable: the policy alone
    (login.defs, PAM) is the evidence the rules judge, so unreadable shadow is not 无法检查."""
    return Outcome(values=policy.values + ageing.values, unavailable=policy.unavailable)


class WithPosture:
    """A server's own collector plus its posture: the transport's failure is the device's
    (``up 0``); a posture failure makes every check unavailable but keeps the host's readings."""

    def __init__(self, base: Collector, posture: PostureCollector) -> None:
        self.base = base
        self.posture = posture

    async def collect(self, now: float) -> list[Reading]:
        """Both collectors' readings; the base collector's CollectError propagates."""
        readings = await self.base.collect(now)
        try:
            readings += await self.posture.collect(now)
        except CollectError as err:
            log.warning("%s", err)
            readings += self._unavailable(str(err).split(": ", 1)[-1], now)
        except Exception as err:  # a posture bug must not take the host's own readings down
            log.exception("posture %s crashed: %s", self.posture.device, type(err).__name__)
            readings += self._unavailable(f"internal error: {type(err).__name__}", now)
        return readings

    def _unavailable(self, reason: str, now: float) -> list[Reading]:
        return [r for check in self.posture.options.checks for r in unavailable(reason).readings(check, now)]

    async def close(self) -> None:
        """Close both."""
        await self.base.close()
        await self.posture.close()
