"""Build every part of the daemon from one config: rules, jobs (``monitor.jobs``), listeners, store,
dispatcher."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts.channels import from_settings
from alerts.config import DeviceLevel, LevelName
from alerts.dispatch import Dispatcher
from alerts.notifiers.apprise import AppriseNotifier
from alerts.outbox import Outbox
from collectors.arp.sniff import ArpListener
from collectors.arp.sources import CollectorTable
from collectors.base import ArpTableReader, Listener
from monitor import config as config_mod
from monitor.core import bindings
from monitor.core.errors import ConfigError
from monitor.core.host import local_name
from monitor.inventory import Device
from monitor.jobs import build_jobs
from monitor.report import period
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
    source = f"{where}: rules.overrides"
    # Ours first (the site's, attached after, win), in their own pass: the site's problems name
    # the site's own index, rules.overrides[0], not one shifted by ours.
    ours = inventory_overrides(settings.devices, {r.name for r in rules})
    ours.extend(level_overrides(rules, settings.notify.levels))
    try:
        rules = apply_overrides(rules, ours, source)
    except ConfigError as err:  # a rule name defined twice: said again, with the site's problems
        problems = err.problems
    try:
        rules = apply_overrides(rules, settings.rules.overrides, source)
    except ConfigError as err:
        problems += [p for p in err.problems if p not in problems]
    if problems:
        raise ConfigError(problems)
    return rules


def level_overrides(rules: Sequence[Rule], levels: Mapping[LevelName, DeviceLevel]) -> list[dict[str, Any]]:
    """A level's severity floor as overrides of the rules below it, for that level's devices."""
    return [{"rule": r.name, "matchers": [f"level={name}"], "severity": level.severity_floor.value}
            for name, level in sorted(levels.items()) if level.severity_floor is not None
            for r in rules if r.severity.rank < level.severity_floor.rank]


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


def stale_after(settings: config_mod.Settings) -> float:
    """How long a silent series counts as present: the configured value, but never less than
    three polling intervals of the slowest device or link (websites: 5 min), or slow ones
    would resolve and re-fire between polls."""
    intervals = [d.interval or settings.defaults.interval for d in settings.devices]
    intervals += [link.cycle(settings.defaults.interval) for link in settings.links]
    intervals += [job.interval for job in settings.backups]
    longest = max(intervals, default=0.0)
    return max(settings.rules.stale_after, 3 * longest)


def secrets_of(settings: config_mod.Settings) -> list[str]:
    """Every secret in the config, for the log redaction filter."""
    found = settings.notify.secret_values() + settings.traps.secret_values()
    for dev in settings.devices:
        for table in dev.tables().values():
            found += table.secret_values()
    if settings.store.influxdb.token:
        found.append(settings.store.influxdb.token.get_secret_value())
    for link in settings.links:
        found += link.secret_values()
    for job in settings.backups:
        found += job.secret_values()
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
    if problems or notifier is None:
        raise ConfigError(problems)
    return rules, notifier


def examine(path: Path | None) -> tuple[config_mod.Settings | None, Path | None, list[str]]:
    """The config file (or none) checked in one pass: schema, inventory, links, rules, rule
    overrides and notifiers; the settings built from what is valid, and every problem found.
    ConfigError only when the file cannot be read at all."""
    settings, chosen, problems = config_mod.examine(path)
    if settings is not None:
        try:
            check_buildable(settings, chosen.name if chosen else "defaults")
        except ConfigError as err:
            problems += err.problems
    return settings, chosen, problems


def load_checked(path: Path | None) -> tuple[config_mod.Settings, Path | None]:
    """``examine``, raising ConfigError with every problem if there is any."""
    settings, chosen, problems = examine(path)
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
    """The copies besides SQLite: InfluxDB when ``[store.influxdb] url`` is set, Alertmanager
    when ``[alertmanager] urls`` are."""
    outputs: list[Output] = []
    influx = settings.store.influxdb
    if influx.url:
        from monitor.store.influx import InfluxOutput  # the client library loads only when used

        outputs.append(InfluxOutput(influx, state / "influx-queue.db"))
    if settings.alertmanager.urls:
        from monitor.store.alertmanager import AlertmanagerOutput

        outputs.append(AlertmanagerOutput(settings.alertmanager, state))
    return outputs


def build_listeners(settings: config_mod.Settings, jobs: Sequence[Job] = ()) -> list[Listener]:
    """Sources that push readings (ARP sniffing, SNMP traps), as configured.

    With ``[arp]`` configured, the ARP tables of the polled devices whose collector reads one
    (``ArpTableReader``: SSH, SNMP) join the sniffed frames in the one observation stream, so
    segments the daemon is not attached to are covered too.
    """
    listeners: list[Listener] = []
    if settings.arp is not None and (settings.arp.interfaces or jobs):
        tables = [CollectorTable(name=job.device, interval=job.interval, reader=job.collector)
                  for job in jobs if isinstance(job.collector, ArpTableReader)]
        if settings.arp.interfaces or tables:
            listeners.append(ArpListener(settings.arp, load_registry(settings), device=local_name(),
                                         tables=tables))
    if settings.traps.enabled:
        from collectors.traps.receiver import TrapListener  # pysnmp: only when traps are received

        # The pollers' interface names (SNMP), so a trap's ifIndex lands on the polled series.
        named = {job.device: job.collector for job in jobs if hasattr(job.collector, "interface_names")}
        listeners.append(TrapListener(
            settings.traps, trap_senders(settings.devices), device=local_name(),
            interfaces=lambda device: getattr(named.get(device), "interface_names", None)))
    if settings.syslog is not None and syslog_on(settings):
        from collectors.syslog.receiver import SyslogListener
        from monitor.store.evidence import Evidence

        conf, path, zone = settings.syslog, evidence_path(settings), period.zone(settings.report.timezone)
        listeners.append(SyslogListener(
            conf, trap_senders(settings.devices), device=local_name(), windows=settings.maintenance,
            archive=lambda: Evidence(path, retention_s=conf.retention, zone=zone)))
    return listeners


def syslog_on(settings: config_mod.Settings) -> bool:
    """Whether the syslog receiver runs (``[syslog] enabled``)."""
    return settings.syslog is not None and settings.syslog.enabled


def evidence_path(settings: config_mod.Settings) -> Path:
    """The syslog evidence database (its digest file lies beside it)."""
    return config_mod.state_dir(settings)[0] / "syslog.db"



def trap_senders(devices: Sequence[Device]) -> dict[str, dict[str, str]]:
    """Inventory address → device labels, so a trap or a syslog message carries its sender's
    name, kind, level, room."""
    senders: dict[str, dict[str, str]] = {}
    for dev in devices:
        if dev.address:
            senders.setdefault(dev.address, dev.labels())
    return senders


def load_registry(settings: config_mod.Settings) -> bindings.Registry:
    """The IP–MAC registry named by ``[bindings] file``; ConfigError lists every bad row."""
    conf = settings.bindings
    if conf.file is None:
        raise ConfigError(["bindings.file: [arp] needs the IP–MAC registry; draft one with "
                           "`roomwatch bindings learn`, review it, then `roomwatch bindings import`"])
    return bindings.load(conf.file, conf)
