"""Read devices over SSH (netmiko): CLI tables, configuration backup, Linux server checks.

Host keys are checked against roomwatch's own known_hosts file (``STATE_DIR/ssh_known_hosts``,
filled by ``roomwatch ssh trust DEVICE``); an unknown or changed key is refused and reported as
``ssh_host_key_unknown`` / ``ssh_host_key_changed`` 1; a refused login is ``ssh_auth_failed`` 1
(the device answered, so it is not down). Netmiko blocks, so each session runs in
a worker thread, at most ``[ssh] max_concurrent`` at once; a session is opened per collection
and closed after it (switches have few vty lines, and a held session hides reachability).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from collectors.base import ArpRow
from collectors.ssh import change, linux, session, tables
from collectors.ssh.history import ConfigHistory
from collectors.ssh.options import SshOptions
from monitor.core.errors import CollectError
from monitor.core.model import Reading
from monitor.core.windows import Window

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class SshShared:
    """What all SSH collectors of one daemon share: state files, windows, the concurrency cap."""

    known_hosts: Path
    history: ConfigHistory
    windows: Sequence[Window] = ()
    max_concurrent: int = 4
    _cap: asyncio.Semaphore | None = field(default=None, repr=False)

    @classmethod
    def create(cls, state_dir: Path, windows: Sequence[Window], max_concurrent: int = 4,
               known_hosts: Path | None = None) -> SshShared:
        """Files live in ``state_dir``: ``ssh_known_hosts`` and ``configs.db``."""
        return cls(known_hosts=known_hosts or state_dir / "ssh_known_hosts",
                   history=ConfigHistory(state_dir / "configs.db"), windows=list(windows),
                   max_concurrent=max_concurrent)

    @property
    def cap(self) -> asyncio.Semaphore:
        """The semaphore bounding concurrent sessions (made on first use, inside the loop)."""
        if self._cap is None:
            self._cap = asyncio.Semaphore(self.max_concurrent)
        return self._cap


def target(device: str, options: SshOptions, *, address: str, port: int | None,
           known_hosts: Path) -> session.Target:
    """How to reach a device over SSH (also used by the posture and backup checks)."""
    return session.Target(
        device=device, address=address, port=options.port or port or 22,
        device_type=options.device_type, username=options.username,
        password=options.password.get_secret_value() if options.password else None,
        key_file=str(options.key_file) if options.key_file else None,
        enable_secret=options.enable_secret.get_secret_value() if options.enable_secret else None,
        conn_timeout=options.connect_timeout, command_timeout=options.command_timeout,
        known_hosts=known_hosts)


class SshCollector:
    """One device over SSH. ``arp`` keeps the last ARP table read, given to the IP–MAC checks
    by ``arp_rows`` (ArpTableReader)."""

    arp_source = "ssh"

    def __init__(self, device: str, options: SshOptions, *, address: str, port: int | None = None,
                 labels: Mapping[str, str] | None = None, shared: SshShared) -> None:
        if not address:
            raise CollectError(f"ssh {device}: the device needs an address")
        self.device = device
        self.options = options
        self.labels = dict(labels or {"device": device})
        self.shared = shared
        self.target = target(device, options, address=address, port=port, known_hosts=shared.known_hosts)
        self.arp: list[tables.ArpEntry] = []
        self._refused: str | None = None  # the last login/host-key refusal, logged once

    async def collect(self, now: float) -> list[Reading]:
        """One session's readings; CollectError when the device cannot be read."""
        async with self.shared.cap:
            return await asyncio.to_thread(self._collect, now)

    async def close(self) -> None:
        """Sessions close after each collection; nothing stays open."""

    async def arp_rows(self, now: float) -> list[ArpRow]:
        """The ARP table of the last successful collection (no session of its own)."""
        return [(e.ip, e.mac, "", int(e.vlan) if e.vlan.isdigit() else 0) for e in self.arp]

    def _collect(self, now: float) -> list[Reading]:
        linux_host = self.options.device_type == "linux"
        backup_cmd = None if linux_host else self._backup_command(now)
        if linux_host:
            commands = linux.commands(mdstat_path=self.options.mdstat, sudo=self.options.sudo)
        else:
            commands = [s.command for t in self.options.tables
                        if (s := tables.source(self.options.device_type, t)) is not None]
        if backup_cmd:
            commands.append(backup_cmd)
        try:
            out = session.run(self.target, commands)
            if linux_host:
                scan = out.get(commands[-1])
                extra = linux.smart_commands(scan, sudo=self.options.sudo)
                if extra:
                    out.update(session.run(self.target, extra))
        except session.HostKeyRefused as refused:
            self._note(str(refused))
            return [Reading("ssh_host_key_unknown", float(refused.kind == "unknown"), {}, now),
                    Reading("ssh_host_key_changed", float(refused.kind == "changed"), {}, now)]
        except session.AuthRefused as refused:
            # The device answered: not 无响应. Its own reading and rule say what is wrong.
            self._note(str(refused))
            return [Reading("ssh_auth_failed", 1.0, {}, now), Reading("ssh_host_key_unknown", 0.0, {}, now),
                    Reading("ssh_host_key_changed", 0.0, {}, now)]
        self._note(None)
        result = [Reading("ssh_auth_failed", 0.0, {}, now), Reading("ssh_host_key_unknown", 0.0, {}, now),
                  Reading("ssh_host_key_changed", 0.0, {}, now)]
        if linux_host:
            result += linux.readings(out, now, mdstat_path=self.options.mdstat, sudo=self.options.sudo,
                                     ignore_fstypes=self.options.ignore_fstypes)
        else:
            result += self._tables(out, now)
        if backup_cmd:
            raw = out.get(backup_cmd)
            if raw:
                outcome = change.backup(self.shared.history, self.device, self.options.device_type,
                                        raw, now, windows=self.shared.windows, labels=self.labels)
                result += change.readings(outcome, now, self.options.diff_max_chars)
            else:
                log.warning("ssh %s: %r printed no configuration", self.device, backup_cmd)
        last = self.shared.history.last_checked(self.device) if not linux_host else None
        if last is not None:
            result.append(Reading("backup_age_hours", max(0.0, now - last) / 3600.0,
                                  {"job": "config"}, now))
        return result

    def _note(self, refused: str | None) -> None:
        # One line per change, not one per poll: the reading carries the state every cycle.
        if refused and refused != self._refused:
            log.warning("%s", refused)
        elif refused is None and self._refused:
            log.info("ssh %s: login works again", self.device)
        self._refused = refused

    def _backup_command(self, now: float) -> str | None:
        if not self.options.backup:
            return None
        last = self.shared.history.last_checked(self.device)
        if last is not None and now - last < self.options.backup_interval:
            return None
        src = tables.source(self.options.device_type, "config")
        return self.options.config_command or (src.command if src else None)

    def _tables(self, out: Mapping[str, str | None], now: float) -> list[Reading]:
        result: list[Reading] = []
        dtype = self.options.device_type
        for table in self.options.tables:
            src = tables.source(dtype, table)
            text = out.get(src.command) if src else None
            if text is None:
                continue
            try:
                if table == "arp":
                    self.arp = tables.arp_table(dtype, text)
                    result.append(Reading("arp_entries", float(len(self.arp)), {}, now))
                elif table == "mac":
                    entries = tables.mac_table(dtype, text)
                    result.append(Reading("mac_entries", float(len(entries)), {}, now))
                    per_port: dict[str, int] = {}
                    for entry in entries:
                        per_port[entry.interface] = per_port.get(entry.interface, 0) + 1
                    result += [Reading("if_mac_count", float(n), {"ifname": port}, now)
                               for port, n in sorted(per_port.items())]
                elif table == "interfaces":
                    result += [Reading("if_oper_up", float(s.up), {"ifname": s.ifname}, now)
                               for s in tables.interface_states(dtype, text)]
                else:
                    result += [Reading("temperature_celsius", t.celsius, {"sensor": t.sensor}, now)
                               for t in tables.temperatures(dtype, text)]
            except tables.ParseError as err:
                log.warning("ssh %s: %s table not understood: %s", self.device, table, err)
        return result
