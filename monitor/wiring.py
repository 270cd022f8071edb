"""Build every part of the daemon from one config: rules, jobs, listeners, store, dispatcher."""


from __future__ import annotations

import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts.dispatch import Dispatcher
from alerts.notifiers.apprise import AppriseNotifier, from_settings
from alerts.outbox import Outbox
from alerts.render import check_templates
from collectors import collector_class
from collectors.arp.detect import Observation
from collectors.arp.sniff import ArpListener
from collectors.arp.sources import from_rows
from collectors.base import Listener
from collectors.probe.collector import LinkCollector
from collectors.snmp.client import SnmpShared
from collectors.snmp.collector import SnmpCollector
from collectors.snmp.profiles import Profile, load_profiles
from collectors.snmp.tables import arp_entries
from collectors.ssh.collector import SshShared
from collectors.traps.receiver import TrapListener
from monitor import bindings
from monitor import config as config_mod
from monitor.errors import ConfigError
from monitor.inventory import Device
from monitor.scheduler import Job
from monitor.store.fanout import FanOut, Output
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
        # The design runtime is the UPS's line on the dashboard: sent along, not only a rule threshold.
        constants = ({"ups_design_runtime_minutes": dev.design_runtime_minutes}
                     if dev.design_runtime_minutes else {})
        jobs.append(Job(device=dev.name, labels=dev.labels(), collector=collector,
                        interval=interval, timeout=timeout, constants=constants))
    return jobs + build_link_jobs(settings)


def build_link_jobs(settings: config_mod.Settings) -> list[Job]:
    """One job per ``[[links]]`` entry, named ``link:NAME`` and without ``up`` (a link is not a
    device). Labels: the link's (link, probe) over its device's, or over ``device`` = this host,
    where the probe runs from, when the link names no device."""
    devices = {d.name: d for d in settings.devices}
    jobs = []
    for link in settings.links:
        owner = devices.get(link.device or "")
        base = owner.labels() if owner is not None else {"device": local_name()}
        # The collector bounds every attempt itself; the job's timeout only catches a bug.
        jobs.append(Job(device=f"link:{link.name}", labels={**base, **link.labels()},
                        collector=LinkCollector(link), interval=link.cycle(settings.defaults.interval),
                        timeout=min(link.budget + 5.0, link.cycle(settings.defaults.interval)),
                        heartbeat=None))
    return jobs


def stale_after(settings: config_mod.Settings) -> float:
    """How long a silent series counts as present: the configured value, but never less than
    three polling intervals of the slowest device or link (websites: 5 min), or slow ones
    would resolve and re-fire between polls."""
    intervals = [d.interval or settings.defaults.interval for d in settings.devices]
    intervals += [link.cycle(settings.defaults.interval) for link in settings.links]
    longest = max(intervals, default=0.0)
    return max(settings.rules.stale_after, 3 * longest)


def ssh_context(settings: config_mod.Settings) -> SshShared:
    """What SSH collectors share: known_hosts and config history in the state dir, windows."""
    state, _ = config_mod.state_dir(settings)
    return SshShared.create(state, settings.maintenance, settings.ssh.max_concurrent,
                            settings.ssh.known_hosts)


def secrets_of(settings: config_mod.Settings) -> list[str]:
    """Every secret in the config, for the log redaction filter."""
    found = settings.notify.secret_values() + settings.traps.secret_values()
    for dev in settings.devices:
        if dev.ssh is not None:
            found += [s.get_secret_value() for s in (dev.ssh.password, dev.ssh.enable_secret) if s]
        if dev.snmp is not None:
            found += [s.get_secret_value() for s in (dev.snmp.community, dev.snmp.auth_key, dev.snmp.priv_key)
                      if s]
    if settings.store.influxdb.token:
        found.append(settings.store.influxdb.token.get_secret_value())
    for link in settings.links:
        found += link.secret_values()
    return found


def parents_of(settings: config_mod.Settings) -> dict[str, str]:
    """device → the device it hangs behind (inventory ``parent``), for alert suppression."""
    return {d.name: d.parent for d in settings.devices if d.parent}


@dataclass
class Parts:
    """What the daemon runs, built from one config."""

    engine: Engine
    store: FanOut
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
    problems += check_templates(settings.notify.templates_dir)
    if problems or notifier is None:
        raise ConfigError(problems)
    return rules, notifier


def load_checked(path: Path | None) -> tuple[config_mod.Settings, Path | None]:
    """The config file (or none) checked in one pass: schema, inventory, links, rules, rule
    overrides and notifiers; ConfigError lists every problem found."""
    settings, chosen, problems = config_mod.examine(path)
    if settings is not None:
        try:
            check_buildable(settings, chosen.name if chosen else "defaults")
        except ConfigError as err:
            problems += err.problems
    if problems or settings is None:
        raise ConfigError(problems)
    return settings, chosen


def build(settings: config_mod.Settings, where: str) -> Parts:
    """Build every part; ConfigError lists all problems."""
    rules, notifier = check_buildable(settings, where)
    state, why = config_mod.state_dir(settings)
    log.info("state_dir=%s (%s)", state, why)
    engine = Engine(rules, stale_after=stale_after(settings))
    sqlite = settings.store.sqlite
    store = FanOut(SQLiteStore(sqlite.path or state / "roomwatch.db", retention_s=sqlite.retention,
                               rollup_retention_s=sqlite.rollup_retention), build_outputs(settings, state))
    outbox = Outbox(state / "alerts.db")
    dispatcher = Dispatcher(outbox, notifier, settings=settings.notify, parents=parents_of(settings),
                            windows=settings.maintenance)
    jobs = build_jobs(settings)
    return Parts(engine, store, dispatcher, outbox, jobs, state, build_listeners(settings, jobs))


def build_outputs(settings: config_mod.Settings, state: Path) -> list[Output]:
    """The copies besides SQLite: InfluxDB when ``[store.influxdb] url`` is set."""
    influx = settings.store.influxdb
    if not influx.url:
        return []
    from monitor.store.influx import InfluxOutput  # the client library loads only when used

    return [InfluxOutput(influx, state / "influx-queue.db")]


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
    if settings.traps.enabled:
        listeners.append(TrapListener(settings.traps, trap_senders(settings.devices), device=local_name()))
    return listeners


def trap_senders(devices: Sequence[Device]) -> dict[str, dict[str, str]]:
    """Inventory address → device labels, so a trap carries its sender's name, kind, level, room."""
    senders: dict[str, dict[str, str]] = {}
    for dev in devices:
        if dev.address:
            senders.setdefault(dev.address, dev.labels())
    return senders


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

