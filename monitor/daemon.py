"""Wire everything: inventory → collectors → scheduler → store + rule engine → dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts.dispatch import Dispatcher
from alerts.notifiers.apprise import AppriseNotifier, from_settings
from alerts.outbox import Outbox
from collectors import collector_class
from collectors.arp.detect import Observation
from collectors.arp.sniff import ArpListener
from collectors.arp.sources import from_rows
from collectors.base import Listener
from collectors.snmp.client import SnmpShared
from collectors.snmp.collector import SnmpCollector
from collectors.snmp.profiles import Profile, load_profiles
from collectors.snmp.tables import arp_entries
from collectors.ssh.collector import SshShared
from monitor import bindings, logs, systemd
from monitor import config as config_mod
from monitor.errors import ConfigError, StoreError
from monitor.inventory import Device
from monitor.model import Reading
from monitor.scheduler import Job, Scheduler
from monitor.store.sqlite import SQLiteStore
from rules.engine import Engine
from rules.loader import apply_overrides, load_file, load_pack
from rules.rule import Rule

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
    ssh_shared: SshShared | None = None
    snmp_shared: SnmpShared | None = None
    profiles: dict[str, Profile] | None = None
    for dev in settings.devices:
        cls = collector_class(dev.transport)
        options = getattr(dev, dev.transport)
        if dev.transport == "ssh":
            ssh_shared = ssh_shared or ssh_context(settings)
            collector = cls(dev.name, options, address=dev.address, port=dev.port,
                            labels=dev.labels(), shared=ssh_shared)
        elif dev.transport == "snmp":
            snmp_shared = snmp_shared or SnmpShared(settings.snmp.max_concurrent)
            profiles = profiles or load_profiles(settings.snmp.profiles_dir)
            collector = cls(dev.name, options, address=dev.address, port=dev.port, shared=snmp_shared,
                            profiles=profiles)
        else:
            collector = cls(dev.name, options)
        interval = dev.interval or settings.defaults.interval
        timeout = min(dev.timeout or settings.defaults.timeout, interval)
        jobs.append(Job(device=dev.name, labels=dev.labels(), collector=collector,
                        interval=interval, timeout=timeout))
    return jobs


def stale_after(settings: config_mod.Settings) -> float:
    """How long a silent series counts as present: the configured value, but never less than
    three polling intervals of the slowest device, or slow devices would resolve and re-fire
    between polls."""
    longest = max([d.interval or settings.defaults.interval for d in settings.devices], default=0.0)
    return max(settings.rules.stale_after, 3 * longest)


def ssh_context(settings: config_mod.Settings) -> SshShared:
    """What SSH collectors share: known_hosts and config history in the state dir, windows."""
    state, _ = config_mod.state_dir(settings)
    return SshShared.create(state, settings.maintenance, settings.ssh.max_concurrent,
                            settings.ssh.known_hosts)


def secrets_of(settings: config_mod.Settings) -> list[str]:
    """Every secret in the config, for the log redaction filter."""
    found = settings.notify.secret_values()
    for dev in settings.devices:
        if dev.ssh is not None:
            found += [s.get_secret_value() for s in (dev.ssh.password, dev.ssh.enable_secret) if s]
        if dev.snmp is not None:
            found += [s.get_secret_value() for s in (dev.snmp.community, dev.snmp.auth_key, dev.snmp.priv_key)
                      if s]
    return found


def parents_of(settings: config_mod.Settings) -> dict[str, str]:
    """device → the device it hangs behind (inventory ``parent``), for alert suppression."""
    return {d.name: d.parent for d in settings.devices if d.parent}


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
        notifier = from_settings(settings.notify)
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
    engine = Engine(rules, stale_after=stale_after(settings))
    sqlite = settings.store.sqlite
    store = SQLiteStore(sqlite.path or state / "roomwatch.db", retention_s=sqlite.retention,
                        rollup_retention_s=sqlite.rollup_retention)
    outbox = Outbox(state / "alerts.db")
    dispatcher = Dispatcher(outbox, notifier, settings=settings.notify, parents=parents_of(settings),
                            windows=settings.maintenance)
    jobs = build_jobs(settings)
    return Parts(engine, store, dispatcher, outbox, jobs, state, build_listeners(settings, jobs))


def build_listeners(settings: config_mod.Settings, jobs: Sequence[Job] = ()) -> list[Listener]:
    """Sources that push readings (ARP sniffing, SNMP traps), as configured.

    With ``[arp]`` configured, the ARP tables the SSH jobs read join the sniffed frames in the
    one observation stream (so segments the daemon is not attached to are covered too). The
    SNMP tables (IP-MIB ARP, BRIDGE-MIB FDB) join the same way once that collector lands.
    """
    listeners: list[Listener] = []
    if settings.arp is not None and (settings.arp.interfaces or jobs):
        tables: list[SshArpTable | SnmpArpTable] = [
            SshArpTable(job) for job in jobs if hasattr(job.collector, "arp")]
        tables += [SnmpArpTable(job) for job in jobs if isinstance(job.collector, SnmpCollector)]
        if settings.arp.interfaces or tables:
            listeners.append(ArpListener(settings.arp, load_registry(settings), device=local_name(),
                                         tables=tables))
    return listeners


class SshArpTable:
    """The last ARP table an SSH job read (``display arp`` / ``show ip arp``), as a table source.
    L3 ARP entries say which router saw a pair, not which access port, so port checks need
    the forwarding tables (SNMP) instead."""

    def __init__(self, job: Job) -> None:
        self.name = job.device
        self.interval = job.interval
        self._job = job

    async def read(self, now: float) -> list[Observation]:
        """The entries of the job's last successful read."""
        entries = getattr(self._job.collector, "arp", [])
        rows = [(e.ip, e.mac, self.name, "", int(e.vlan) if e.vlan.isdigit() else 0, now) for e in entries]
        return list(from_rows(rows, "ssh"))


class SnmpArpTable:
    """A switch's or router's IP-MIB ARP table polled over SNMP, as a table source: covers
    segments the daemon is not attached to. Forwarding-table ports are left out on purpose
    until sites can mark access ports: a trunk port sees every MAC and would look like a hub."""

    def __init__(self, job: Job) -> None:
        self.name = job.device
        self.interval = job.interval
        self._client = job.collector.client  # type: ignore[attr-defined]

    async def read(self, now: float) -> list[Observation]:
        """The device's ARP entries now (CollectError when it does not answer)."""
        entries = await arp_entries(self._client.address, self._client.options,
                                    port=self._client.port, device=self.name,
                                    shared=self._client.shared)
        rows = [(e.ip, e.mac, self.name, "", e.vlan, now) for e in entries]
        return list(from_rows(rows, "snmp"))


def load_registry(settings: config_mod.Settings) -> bindings.Registry:
    """The IP–MAC registry named by ``[bindings] file``; ConfigError lists every bad row."""
    conf = settings.bindings
    if conf.file is None:
        raise ConfigError(["bindings.file: [arp] needs the IP–MAC registry; draft one with "
                           "`roomwatch bindings learn`, review it, then `roomwatch bindings import`"])
    return bindings.load(conf.file, conf)


def local_name() -> str:
    """This host's short name: the ``device`` label of what it observes itself."""
    return socket.gethostname().split(".")[0] or "localhost"


class Daemon:
    """The long-running service: poll, store, judge, tell.

    SIGTERM/SIGINT flush the store and the engine state and exit 0. SIGHUP re-reads the config
    (inventory, rules, notifiers) and swaps them in; alert state, the store and the outbox carry
    over, and a broken new config is refused with every problem logged while the old one runs on.
    """

    def __init__(self, settings: config_mod.Settings, parts: Parts, *,
                 config_path: Path | None = None) -> None:
        self.settings = settings
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

    def _sink(self, readings: list[Reading]) -> None:
        self.parts.store.write(readings)
        self.parts.engine.ingest(readings)
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
            settings, chosen = config_mod.load(self.config_path)
            where = chosen.name if chosen else "defaults"
            rules, notifier = check_buildable(settings, where)
            jobs = build_jobs(settings)
            listeners = build_listeners(settings, jobs)
        except ConfigError as err:
            for problem in err.problems:
                log.error("reload refused: %s", problem)
            log.error("reload refused: %d problem(s); the running config stays", len(err.problems))
            systemd.notify("READY=1", "STATUS=reload refused; old config still running")
            return False
        if settings.state_dir != self.settings.state_dir or settings.store != self.settings.store:
            log.warning("reload: state_dir and [store] changes take effect on restart only")
        await self._stop_sources()
        self.parts.engine.replace_rules(rules)
        self.parts.dispatcher.reconfigure(settings.notify, notifier, parents=parents_of(settings),
                                          windows=settings.maintenance)
        self.parts.jobs, self.parts.listeners = jobs, listeners
        self.settings = settings.model_copy(update={"state_dir": self.settings.state_dir,
                                                    "store": self.settings.store})
        logs.REDACT.update(secrets_of(settings))
        self._start_sources()
        log.info("reload: done, %d device(s), %d rule(s)", len(jobs), len(rules))
        systemd.notify("READY=1", f"STATUS=reloaded; polling {len(jobs)} device(s)")
        return True

    def _start_sources(self) -> None:
        self._sources_stop = asyncio.Event()
        scheduler = Scheduler(self.parts.jobs, self._sink, jitter=self.settings.defaults.jitter)
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
        self._sink(readings)
        if readings:
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
            # Queue before saving engine state: a crash in between re-fires on restart, and
            # the notification log then recognises it as already told.
            if self.parts.dispatcher.submit(changes, now):
                # Deliver now rather than at the next tick: evaluation → page within a second.
                self._kick = asyncio.create_task(self._deliver())
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
        shown.append(f"{name}={r.value:g}")
    more = len(readings) - len(shown)
    return f"device={device} " + " ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def setup_logging(settings: config_mod.Settings) -> None:
    """Configure logging at the configured level with the config's secrets masked."""
    logs.setup(settings.log.level)
    logs.REDACT.update(secrets_of(settings))
