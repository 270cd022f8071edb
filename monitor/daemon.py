"""Wire everything: inventory → collectors → scheduler → store + rule engine → dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rules.engine import Engine
from rules.loader import apply_overrides, load_file, load_pack
from rules.rule import Rule

from alerts.dispatch import Dispatcher
from alerts.notifiers.apprise import AppriseNotifier
from alerts.outbox import Outbox
from collectors import collector_class
from collectors.base import Listener
from monitor import config as config_mod
from monitor import logs
from monitor.errors import ConfigError, StoreError
from monitor.inventory import Device
from monitor.model import Reading
from monitor.scheduler import Job, Scheduler
from monitor.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)


def build_rules(settings: config_mod.Settings, where: str) -> list[Rule]:
    """Packs, extra files, inventory facts and site overrides; every problem at once."""
    problems: list[str] = []
    rules: list[Rule] = []
    for name in settings.rules.packs:
        try:
            rules.extend(load_pack(name))
        except ConfigError as err:
            problems.extend(err.problems)
        except FileNotFoundError:
            problems.append(f"{where}: rules.packs: no shipped pack named {name!r}")
    for path in settings.rules.files:
        try:
            rules.extend(load_file(path))
        except ConfigError as err:
            problems.extend(err.problems)
    if problems:
        raise ConfigError(problems)
    overrides = inventory_overrides(settings.devices, {r.name for r in rules})
    overrides.extend(settings.rules.overrides)
    return apply_overrides(rules, overrides, f"{where}: rules.overrides")


def inventory_overrides(devices: Sequence[Device], rule_names: set[str]) -> list[dict[str, Any]]:
    """Thresholds that come from the inventory: a UPS's designed runtime (000: 8 h)."""
    out: list[dict[str, Any]] = []
    if "ups_runtime_low" not in rule_names:
        return out
    for dev in devices:
        if dev.kind == "ups" and dev.design_runtime_minutes:
            out.append({"rule": "ups_runtime_low", "match": {"device": dev.name},
                        "below": dev.design_runtime_minutes})
    return out


def build_jobs(settings: config_mod.Settings) -> list[Job]:
    """One polling job per device; constructing validates and opens nothing."""
    jobs = []
    for dev in settings.devices:
        cls = collector_class(dev.transport)
        options = getattr(dev, dev.transport)
        collector = cls(dev.name, options)
        interval = dev.interval or settings.defaults.interval
        timeout = min(dev.timeout or settings.defaults.timeout, interval)
        jobs.append(Job(device=dev.name, labels=dev.labels(), collector=collector,
                        interval=interval, timeout=timeout))
    return jobs


def secrets_of(settings: config_mod.Settings) -> list[str]:
    """Every secret in the config, for the log redaction filter."""
    return [url.get_secret_value() for url in settings.notify.urls]


@dataclass
class Parts:
    """What the daemon runs, built from one config."""

    engine: Engine
    store: SQLiteStore
    dispatcher: Dispatcher
    outbox: Outbox
    jobs: list[Job]
    state_dir: Path
    listeners: list[Listener] = field(default_factory=list)


def check_buildable(settings: config_mod.Settings, where: str) -> tuple[list[Rule], AppriseNotifier]:
    """Build what can be wrong beyond the schema (rules, notifier URLs); all problems at once."""
    problems: list[str] = []
    rules: list[Rule] = []
    try:
        rules = build_rules(settings, where)
    except ConfigError as err:
        problems.extend(err.problems)
    notifier = None
    try:
        notifier = AppriseNotifier([u.get_secret_value() for u in settings.notify.urls])
    except ValueError as err:
        problems.extend(f"{where}: {line}" for line in str(err).splitlines())
    if problems or notifier is None:
        raise ConfigError(problems)
    return rules, notifier


def build(settings: config_mod.Settings, where: str) -> Parts:
    """Build every part; ConfigError lists all problems."""
    rules, notifier = check_buildable(settings, where)
    state, why = config_mod.state_dir(settings)
    log.info("state_dir=%s (%s)", state, why)
    engine = Engine(rules, stale_after=settings.rules.stale_after)
    sqlite = settings.store.sqlite
    store = SQLiteStore(sqlite.path or state / "roomwatch.db", retention_s=sqlite.retention,
                        rollup_retention_s=sqlite.rollup_retention)
    outbox = Outbox(state / "alerts.db")
    dispatcher = Dispatcher(outbox, notifier, lang=settings.notify.lang,
                            retry_initial=settings.notify.retry_initial,
                            retry_max=settings.notify.retry_max)
    return Parts(engine, store, dispatcher, outbox, build_jobs(settings), state,
                 build_listeners(settings))


def build_listeners(settings: config_mod.Settings) -> list[Listener]:
    """Sources that push readings (ARP sniffing, SNMP traps), as configured."""
    return []


class Daemon:
    """The long-running service: poll, store, judge, tell; SIGTERM flushes and exits 0."""

    def __init__(self, settings: config_mod.Settings, parts: Parts) -> None:
        self.settings = settings
        self.parts = parts
        self.state_file = parts.state_dir / "engine.json"
        self.stop = asyncio.Event()

    def _sink(self, readings: list[Reading]) -> None:
        self.parts.store.write(readings)
        self.parts.engine.ingest(readings)
        if self.settings.log.readings and readings:
            log.info("collected %s", summarize(readings))

    async def run(self) -> int:
        """Run until SIGTERM or SIGINT."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        if self.state_file.exists():
            self.parts.engine.load(self.state_file)
            log.info("engine state restored: %d active alert(s)", len(self.parts.engine.active()))
        scheduler = Scheduler(self.parts.jobs, self._sink, jitter=self.settings.defaults.jitter)
        log.info("started: %d device(s), %d notify receiver(s)", len(self.parts.jobs),
                 len(self.parts.dispatcher.notifier.targets))
        tasks = [
            asyncio.create_task(scheduler.run(self.stop)),
            asyncio.create_task(self._every(self.settings.rules.evaluate_interval, self._evaluate)),
            asyncio.create_task(self._every(1.0, self._deliver)),
            asyncio.create_task(self._every(self.settings.store.sqlite.flush_interval, self._flush)),
            asyncio.create_task(self._every(3600.0, self._prune)),
            *(asyncio.create_task(lst.run(self._sink, self.stop)) for lst in self.parts.listeners),
        ]
        await self.stop.wait()
        log.info("stopping: flushing store and engine state")
        for task in tasks[1:]:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._evaluate()
        await self._flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._deliver(), timeout=3.0)
        self.parts.store.close()
        self.parts.outbox.close()
        log.info("stopped")
        return 0

    async def _every(self, seconds: float, action: Any) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=seconds)
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
            # Queue before saving engine state: a crash in between re-fires on restart, and
            # the notification log then recognises it as already told.
            self.parts.dispatcher.submit(changes, now)
            self.parts.engine.save(self.state_file)

    async def _deliver(self) -> None:
        await self.parts.dispatcher.deliver(time.time())

    async def _flush(self) -> None:
        try:
            await asyncio.to_thread(self.parts.store.flush)
        except StoreError as err:
            log.error("store flush failed (retryable=%s): %s", err.retryable, err)

    async def _prune(self) -> None:
        await asyncio.to_thread(self.parts.store.prune, time.time())


def summarize(readings: Sequence[Reading], most: int = 8) -> str:
    """``device=x up=1 cpu_percent=3.2 disk_used_percent{mount=/}=41 …`` for the log."""
    device = readings[-1].labels.get("device", "?")
    shown = []
    for r in [readings[-1], *readings[:-1][: most - 1]]:
        extra = {k: v for k, v in r.labels.items()
                 if k not in ("device", "kind", "level", "site", "room")}
        name = r.metric + ("{" + ",".join(f"{k}={v}" for k, v in extra.items()) + "}" if extra else "")
        shown.append(f"{name}={r.value:g}")
    more = len(readings) - len(shown)
    return f"device={device} " + " ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def setup_logging(settings: config_mod.Settings) -> None:
    """Configure logging at the configured level with the config's secrets masked."""
    logs.setup(settings.log.level)
    logs.REDACT.update(secrets_of(settings))
