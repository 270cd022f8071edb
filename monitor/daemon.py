"""The running daemon: poll, store, judge, tell; reload on SIGHUP, flush on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor import config as config_mod
from monitor import systemd
from monitor.core import logs
from monitor.core.errors import ConfigError, StoreError
from monitor.core.host import local_name
from monitor.core.model import Reading
from monitor.core.numbers import plain
from monitor.core.savedby import SavedBy
from monitor.finite import FiniteGate
from monitor.pollstats import PollStats
from monitor.scheduler import Scheduler
from monitor.web.latest import Latest
from monitor.wiring import (
    Parts,
    build_jobs,
    build_listeners,
    check_buildable,
    load_checked,
    parents_of,
    secrets_of,
)

log = logging.getLogger(__name__)


class Daemon:
    """The long-running service: poll, store, judge, tell.

    SIGTERM/SIGINT flush the store and the engine state and exit 0. SIGHUP re-reads the config
    (inventory, rules, notifiers) and swaps them in; alert state, the store and the outbox carry
    over, and a broken new config is refused with every problem logged while the old one runs on.
    """

    def __init__(self, settings: config_mod.Settings, parts: Parts, *,
                 config_path: Path | None = None, redact: logs.RedactFilter | None = None) -> None:
        self.settings = settings
        self.redact = redact if redact is not None else logs.RedactFilter(secrets_of(settings))
        self.parts = parts
        self.config_path = config_path
        self.state_file = parts.state_dir / "engine.json"
        self.stop = asyncio.Event()
        self.reload_requested = asyncio.Event()
        self._sources_stop = asyncio.Event()
        self._sources: list[asyncio.Task[None]] = []
        self._up: dict[str, float] = {}
        # Set by push sources (ARP, traps): their events are judged at once, not at the next tick.
        self._judge_now = asyncio.Event()
        self._kick: asyncio.Task[None] | None = None
        self._finite = FiniteGate()
        # A device's syslog "configuration saved by USER" names who made its next config_changed.
        self._saved_by = SavedBy()
        self.latest = Latest()  # the newest readings the web console shows
        self.polls = PollStats()  # poll durations and failures, for the console's /metrics

    def sink(self, readings: list[Reading]) -> None:
        """Where every source's readings go: the finite ones are stored and judged."""
        # Every source (polled jobs, push listeners, the store's own health) comes through here.
        readings = self._saved_by.annotate(self._finite(readings))
        self.parts.store.write(readings)
        self.parts.engine.ingest(readings)
        if self.parts.engine.touched:  # judged on arrival; the tick stays for `for`, absence
            self._judge_now.set()
        self.latest.update(readings)
        for r in readings:
            if r.metric == "up":
                self._up[r.labels.get("device", "?")] = r.value
        if self.settings.log.readings and readings:
            log.info("collected %s", summarize(readings))

    async def run(self, *, signals: bool = True) -> int:
        """Run until SIGTERM or SIGINT (or ``stop`` is set); SIGHUP reloads.

        ``signals=False`` is for running the daemon off the main thread (tests), where
        Python cannot install signal handlers.
        """
        loop = asyncio.get_running_loop()
        if signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop.set)
            loop.add_signal_handler(signal.SIGHUP, self.reload_requested.set)
        if self.state_file.exists():
            self.parts.engine.load(self.state_file)
            log.info("engine state restored: %d active alert(s)", len(self.parts.engine.active()))
        self._start_sources()
        background = [
            asyncio.create_task(self._every(self.settings.rules.evaluate_interval, self._evaluate,
                                            wake=self._judge_now)),
            asyncio.create_task(self._every(1.0, self._deliver)),
            asyncio.create_task(self._every(self.settings.store.sqlite.flush_interval, self._flush)),
            asyncio.create_task(self._every(3600.0, self._prune)),
            asyncio.create_task(self._every(15.0, self._status)),
        ]
        if self.settings.web.enabled:  # the console and API (monitor.web), on the same loop
            from monitor.web import console  # starlette, uvicorn, jinja2: only when it is served

            background.append(asyncio.create_task(console.run(lambda: self.settings, self.parts, self.latest,
                                                              self.polls, self.stop, self.reload_requested)))
        period = systemd.watchdog_period()
        if period:
            background.append(asyncio.create_task(self._every(period, self._watchdog)))
        log.info("started: %d device(s), %d notify receiver(s)", len(self.parts.jobs),
                 len(self.parts.dispatcher.notifier.targets))
        systemd.notify("READY=1", f"STATUS=polling {len(self.parts.jobs)} device(s)")
        while not self.stop.is_set():
            waiters = [asyncio.create_task(self.stop.wait()),
                       asyncio.create_task(self.reload_requested.wait())]
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            if self.reload_requested.is_set() and not self.stop.is_set():
                self.reload_requested.clear()
                await self.reload()
        systemd.notify("STOPPING=1", "STATUS=flushing")
        log.info("stopping: flushing store and engine state")
        await self._stop_sources()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await self._evaluate()
        await self._flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._deliver(), timeout=3.0)
        self.parts.store.close()
        self.parts.outbox.close()
        log.info("stopped")
        return 0

    async def reload(self) -> bool:
        """Re-read the config and swap in inventory, rules and notifiers; keep all state."""
        systemd.reloading()
        log.info("reload: reading %s", self.config_path or "defaults")
        try:
            settings, chosen = load_checked(self.config_path)
            where = chosen.name if chosen else "defaults"
            rules, notifier = check_buildable(settings, where)
            jobs = build_jobs(settings)
            listeners = build_listeners(settings, jobs)
        except ConfigError as err:
            return self._refuse(err.problems)
        except Exception as err:  # a reload must never take the running daemon down with it
            log.exception("reload refused: unexpected error reading the new config")
            return self._refuse([f"{type(err).__name__} while reading the new config (a bug; "
                                 "please report it with the traceback above)"])
        if settings.state_dir != self.settings.state_dir or settings.store != self.settings.store:
            log.warning("reload: state_dir and [store] changes take effect on restart only")
        await self._stop_sources()
        self.parts.engine.replace_rules(rules)
        self.parts.dispatcher.reconfigure(settings.notify, notifier, parents=parents_of(settings),
                                          windows=settings.maintenance)
        self.parts.jobs, self.parts.listeners = jobs, listeners
        self.settings = settings.model_copy(update={"state_dir": self.settings.state_dir,
                                                    "store": self.settings.store})
        self.redact.update(secrets_of(settings))
        self._start_sources()
        if self.settings.web.enabled:
            # The console froze what the daemon had built (monitor.web.server.serve) so that
            # requests set off no long collections; freeze what this reload built too, after one
            # full collection (here, once) frees what it replaced.
            gc.unfreeze()
            gc.collect()
            gc.freeze()
        log.info("reload: done, %d device(s), %d rule(s)", len(jobs), len(rules))
        systemd.notify("READY=1", f"STATUS=reloaded; polling {len(jobs)} device(s)")
        return True

    def _refuse(self, problems: Sequence[str]) -> bool:
        for problem in problems:
            log.error("reload refused: %s", problem)
        log.error("reload refused: %d problem(s); the running config stays", len(problems))
        systemd.notify("READY=1", "STATUS=reload refused; old config still running")
        return False

    def _start_sources(self) -> None:
        self._sources_stop = asyncio.Event()
        scheduler = Scheduler(self.parts.jobs, self.sink, jitter=self.settings.defaults.jitter,
                              observe=self.polls)
        self._sources = [asyncio.create_task(scheduler.run(self._sources_stop))]
        self._sources += [asyncio.create_task(lst.run(self._push_sink, self._sources_stop))
                          for lst in self.parts.listeners]

    async def _stop_sources(self) -> None:
        self._sources_stop.set()
        await asyncio.gather(*self._sources, return_exceptions=True)
        for job in self.parts.jobs:
            with contextlib.suppress(Exception):
                await job.collector.close()

    def _push_sink(self, readings: list[Reading]) -> None:
        self.sink(readings)
        if readings:  # an event (trap, ARP) may clear an alert without touching a breach
            self._judge_now.set()

    async def _every(self, seconds: float, action: Any, wake: asyncio.Event | None = None) -> None:
        """Run ``action`` every ``seconds`` until stop; ``wake`` runs it early."""
        while not self.stop.is_set():
            waits = [asyncio.create_task(self.stop.wait())]
            if wake is not None:
                waits.append(asyncio.create_task(wake.wait()))
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            for task in waits:
                task.cancel()
            if wake is not None:
                wake.clear()
            if self.stop.is_set():
                return
            try:
                await action()
            except Exception:
                log.exception("%s failed; continuing", action.__name__)

    async def _evaluate(self) -> None:
        now = time.time()
        changes = self.parts.engine.evaluate(now)
        if changes:
            self.parts.store.write_alerts(changes)
        if changes or self.parts.dispatcher.unrecorded:
            # Queue before saving engine state: a crash in between re-fires on restart, and
            # the notification log then recognises it as already told.
            try:
                queued = self.parts.dispatcher.submit(changes, now)
            except StoreError:
                # alerts.db cannot be written (logged by the dispatcher, which keeps the
                # transitions and retries): the engine's state is not saved either, so a
                # restart meanwhile derives them again rather than forgetting them.
                return
            if queued:
                # Deliver now rather than at the next tick: evaluation → page within a second.
                self._kick = asyncio.create_task(self._deliver())
            self.parts.engine.save(self.state_file)

    async def _deliver(self) -> None:
        await self.parts.dispatcher.deliver(time.time())

    async def _flush(self) -> None:
        if self.parts.store.outputs:
            self.sink(self.parts.store.health(time.time(), {"device": local_name(), "kind": "server"}))
        try:
            await asyncio.to_thread(self.parts.store.flush)
        except StoreError as err:
            log.error("store flush failed (retryable=%s): %s", err.retryable, err)

    async def _prune(self) -> None:
        await asyncio.to_thread(self.parts.store.prune, time.time())

    async def _watchdog(self) -> None:
        # Sent from the event loop itself: if the loop hangs, the pings stop and systemd
        # restarts the service, which is the point.
        systemd.notify("WATCHDOG=1")

    async def _status(self) -> None:
        down = sorted(d for d, v in self._up.items() if v == 0)
        firing = sum(1 for a in self.parts.engine.active() if a.state.value == "firing")
        text = (f"devices={len(self.parts.jobs)} down={len(down)} firing={firing} "
                f"outbox={self.parts.outbox.pending()}")
        systemd.notify(f"STATUS={text}")
        log.debug("status %s", text)


def summarize(readings: Sequence[Reading], most: int = 8) -> str:
    """``device=x up=1 cpu_percent=3.2 disk_used_percent{mount=/}=41 …`` for the log."""
    device = readings[-1].labels.get("device", "?")
    shown = []
    for r in [readings[-1], *readings[:-1][: most - 1]]:
        extra = {k: v for k, v in r.labels.items()
                 if k not in ("device", "kind", "level", "site", "room")}
        name = r.metric + ("{" + ",".join(f"{k}={v}" for k, v in extra.items()) + "}" if extra else "")
        shown.append(f"{name}={plain(r.value)}")
    more = len(readings) - len(shown)
    return f"device={device} " + " ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def setup_logging(settings: config_mod.Settings) -> logs.RedactFilter:
    """Configure logging at the configured level with the config's secrets masked; the filter
    is handed to the daemon, which updates it on reload."""
    return logs.setup(settings.log.level, secrets_of(settings))
