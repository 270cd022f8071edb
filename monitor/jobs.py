"""The polling jobs of one config: a job per device (its transport, posture checks, working-hours
stamp), per ``[[links]]`` entry and per ``[[backups]]`` job. Constructing opens nothing."""

from __future__ import annotations

from pathlib import Path

from collectors import backup, transport
from collectors.base import Collector, Shared
from collectors.posture import build as build_posture
from collectors.posture import options_of as posture_options
from collectors.ssh.options import SshSettings
from monitor import config as config_mod
from monitor.core.host import local_name
from monitor.facility import HoursStamp
from monitor.inventory import Device
from monitor.scheduler import Job


def build_jobs(settings: config_mod.Settings) -> list[Job]:
    """One polling job per device; constructing validates and opens nothing."""
    shared = shared_of(settings)
    cluster = settings.cluster
    jobs = []
    for dev in settings.devices:
        if not cluster.owns(dev.name):
            continue  # another shard polls it ([cluster] shard)
        collector = with_posture(dev, shared)
        if settings.facility.working_hours:
            collector = HoursStamp(collector, settings.facility.working_hours, dev.labels())
        interval = dev.interval or settings.defaults.interval
        timeout = min(dev.timeout or settings.defaults.timeout, interval)
        if dev.timeout is None:
            # The poll's deadline follows the transport's own timeout and retries (SNMP), or a
            # slow poll would end as "collection timed out" before the transport gave its answer.
            timeout = dev.options().deadline(interval, timeout)
        # The design runtime is the UPS's line on the dashboard: sent along, not only a rule threshold.
        constants = ({"ups_design_runtime_minutes": dev.design_runtime_minutes}
                     if dev.design_runtime_minutes else {})
        jobs.append(Job(device=dev.name, labels={**cluster.labels(), **dev.labels()}, collector=collector,
                        interval=interval, timeout=timeout, constants=constants, transport=dev.transport))
    return jobs + build_link_jobs(settings) + build_backup_jobs(settings)


def shared_of(settings: config_mod.Settings) -> Shared:
    """What the transports' collectors share: the state dir (made only when one asks), the
    maintenance windows, and each transport's own top-level section (``[ssh]``, ``[snmp]``)."""
    return Shared(state_dir=lambda: config_mod.state_dir(settings)[0], windows=settings.maintenance,
                  sections=settings.sections())


def with_posture(dev: Device, shared: Shared) -> Collector:
    """The device's transport collector plus its posture checks (servers, unless ``posture =
    false``); a Windows server (ssh device_type "windows") is read by the posture checks alone."""
    options = posture_options(dev)
    windows = options is not None and getattr(dev.options(), "device_type", "") == "windows"
    base = None if windows else transport(dev.transport).build(dev, dev.options(), shared)
    if options is None:
        assert base is not None
        return base
    return build_posture(dev, options, shared, base)


def build_link_jobs(settings: config_mod.Settings) -> list[Job]:
    """One job per ``[[links]]`` entry, named ``link:NAME`` and without ``up`` (a link is not a
    device). Labels: the link's (link, probe) over its device's, or over ``device`` = this host,
    where the probe runs from, when the link names no device."""
    devices = {d.name: d for d in settings.devices}
    if not settings.links:
        return []
    from collectors.probe.collector import LinkCollector  # httpx, icmplib: only when links are probed

    jobs = []
    for link in settings.links:
        if not settings.cluster.owns(link.device or f"link:{link.name}"):
            continue  # polled by the shard that owns its device ([cluster] shard)
        owner = devices.get(link.device or "")
        base = owner.labels() if owner is not None else {"device": local_name()}
        base = {**settings.cluster.labels(), **base}
        # The collector bounds every attempt itself; the job's timeout only catches a bug.
        jobs.append(Job(device=f"link:{link.name}", labels={**base, **link.labels()},
                        collector=LinkCollector(link), interval=link.cycle(settings.defaults.interval),
                        timeout=min(link.budget + 5.0, link.cycle(settings.defaults.interval)),
                        heartbeat=None, transport="link"))
    return jobs


def build_backup_jobs(settings: config_mod.Settings) -> list[Job]:
    """One job per ``[[backups]]`` entry, named ``backup:NAME``: labels of the device it is
    checked on (this host by default) with ``job`` and the job's own ``level``; heartbeat
    ``backup_readable`` (a repository that cannot be read is an abnormality, not silence)."""
    if not settings.backups:
        return []
    devices = {d.name: d for d in settings.devices}
    state, _ = config_mod.state_dir(settings)
    jobs = []
    for entry in settings.backups:
        if not settings.cluster.owns(entry.device or f"backup:{entry.name}"):
            continue  # checked by the shard that owns its device ([cluster] shard)
        owner = devices.get(entry.device or "")
        base = owner.labels() if owner is not None else {"device": local_name()}
        base = {**settings.cluster.labels(), **base}
        collector = backup.build(entry, remote=backup_remote(settings, entry, state), state_dir=state)
        # A check, a size walk and a restore test may all fall in one cycle.
        jobs.append(Job(device=f"backup:{entry.name}", collector=collector, interval=entry.interval,
                        labels={**base, "job": entry.name, "level": str(entry.level)},
                        timeout=4 * entry.timeout, heartbeat="backup_readable", transport="backup"))
    return jobs


def backup_remote(settings: config_mod.Settings, entry: backup.Backup, state: Path) -> backup.Remote | None:
    """The device a backup job is checked on over SSH (None: this host)."""
    owner = next((d for d in settings.devices if d.name == entry.device), None)
    ssh = owner.tables().get("ssh") if owner is not None else None
    if owner is None or ssh is None:
        return None
    return backup.Remote(device=owner.name, address=owner.address, port=owner.port, options=ssh,
                         known_hosts=settings.section("ssh", SshSettings).known_hosts
                         or state / "ssh_known_hosts")
