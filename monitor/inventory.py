"""The device inventory: what is in the machine room, where, how critical, and how to reach it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from collectors import REGISTRY, transports
from collectors.posture.options import PostureOptions
from collectors.probe.options import is_host
from monitor.core.durations import Duration
from monitor.core.names import PlainName
from monitor.core.options import PluginOptions

# Transport sub-tables a device may carry: each is a field of Device, one per registry line.
TRANSPORTS: tuple[str, ...] = tuple(REGISTRY)

DeviceKind = Literal["switch", "router", "firewall", "ups", "sensor", "server"]


class Device(BaseModel):
    """One ``[[devices]]`` table: identity, place, criticality and one transport sub-table
    (a field per registered transport, added below from the registry)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: PlainName = Field(min_length=1, description="Unique name; becomes the `device` label.")
    kind: DeviceKind = Field(description="switch, router, firewall, ups, sensor or server.")
    address: str = Field("", description="Host name or IP address (not needed for local/exec).")
    port: int | None = Field(None, ge=1, le=65535, description="Port of the transport.")
    site: str | None = Field(None, description="Site (campus, branch); becomes a label.")
    room: str | None = Field(None, description="Machine room; becomes a label.")
    rack: str | None = Field(None, description="Rack position, for people reading alerts.")
    level: int = Field(2, ge=1, le=3, description="Criticality 1 (highest) to 3, as in 003.")
    parent: str | None = Field(None, description="Device this one hangs behind (suppression).")
    interval: Duration | None = Field(None, description="Polling interval; default [defaults].")
    timeout: Duration | None = Field(None, description="Collection timeout; default [defaults].")
    design_runtime_minutes: float | None = Field(
        None, gt=0, description="UPS only: designed battery runtime (000: 8 h = 480)."
    )
    posture: PostureOptions | None = Field(
        None, description="Server security posture checks: on by default for servers read through "
                          "local, ssh or winrm; false turns them off; a table tunes them.")

    @field_validator("address")
    @classmethod
    def _host_or_ip(cls, value: str) -> str:
        value = value.strip()
        if value and not is_host(value):
            raise ValueError(f"{value!r} is neither an IPv4/IPv6 address nor a host name")
        return value

    @model_validator(mode="after")
    def _one_transport(self) -> Device:
        given = list(self.tables())
        if not given:
            # Never guess: a switch without a transport once showed this machine's disks.
            raise ValueError("no transport sub-table; say how to read it: snmp = {…}, ssh = {…}, "
                             "exec = {…}, or local = {} for the host roomwatch runs on")
        if len(given) > 1:
            raise ValueError(f"more than one transport ({', '.join(given)}); keep one")
        return self

    @property
    def transport(self) -> str:
        """Which collector reads this device: its one transport sub-table."""
        return next(iter(self.tables()))

    def tables(self) -> dict[str, PluginOptions]:
        """The transport sub-tables given, by transport name."""
        return {name: table for name in TRANSPORTS if (table := getattr(self, name)) is not None}

    def options(self) -> PluginOptions:
        """The options of this device's transport."""
        return self.tables()[self.transport]

    def labels(self) -> dict[str, str]:
        """Identity labels every reading of this device carries."""
        labels = {"device": self.name, "kind": self.kind, "level": str(self.level)}
        if self.site:
            labels["site"] = self.site
        if self.room:
            labels["room"] = self.room
        return labels


def _transport_fields() -> dict[str, Any]:
    return {t.name: (t.options | None, Field(None, description=(t.options.__doc__ or "").split("\n")[0]))
            for t in transports()}


if not TYPE_CHECKING:  # type checkers see the fixed fields; the transports' come from the registry
    Device = create_model("Device", __base__=Device, __module__=__name__, **_transport_fields())


def check_inventory(devices: Sequence[Device | None], where: str) -> list[str]:
    """Problems beyond one device's own fields: a second local host, fields the transport
    needs. ``None`` stands for an entry already reported invalid (indices stay true); names
    and parents are ``check_names``'."""
    problems: list[str] = []
    locals_ = [i for i, dev in enumerate(devices) if dev is not None and dev.transport == "local"]
    for i in locals_[1:]:
        problems.append(f"{where}devices[{i}].local: devices[{locals_[0]}] is already the local host")
    for i, dev in enumerate(devices):
        if dev is None:
            continue
        if dev.design_runtime_minutes is not None and dev.kind != "ups":
            problems.append(f"{where}devices[{i}].design_runtime_minutes: only for kind = 'ups'")
        for name, table in dev.tables().items():
            if table.needs_address and not dev.address:
                problems.append(f"{where}devices[{i}].address: required for {name}")
        problems += _posture_problems(dev, f"{where}devices[{i}]")
    return problems


def check_names(entries: Sequence[tuple[object, object]], where: str) -> list[str]:
    """Duplicate names, unknown parents and parent loops over ``(name, parent)`` pairs, one per
    ``[[devices]]`` entry; entries whose name is not text (already reported) are skipped."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, (name, _) in enumerate(entries):
        if not isinstance(name, str):
            continue
        if name in seen:
            problems.append(f"{where}devices[{i}].name: {name!r} is already used by devices[{seen[name]}]")
        else:
            seen[name] = i
    parents = {n: p for n, p in entries if isinstance(n, str) and isinstance(p, str)}
    for i, (name, parent) in enumerate(entries):
        if not isinstance(name, str) or not isinstance(parent, str):
            continue
        if parent not in seen:
            problems.append(f"{where}devices[{i}].parent: no device named {parent!r}")
        elif _loops(name, parents):
            problems.append(f"{where}devices[{i}].parent: {name!r} is its own ancestor")
    return problems


def _posture_problems(dev: Device, at: str) -> list[str]:
    ssh = dev.tables().get("ssh")
    device_type = getattr(ssh, "device_type", None)
    enabled = dev.posture is None or dev.posture.enabled
    if device_type == "windows" and (dev.kind != "server" or not enabled):
        return [f"{at}.ssh.device_type: 'windows' is read only by the posture checks; it needs "
                "kind = 'server' and posture not false"]
    if dev.posture is None or not dev.posture.enabled:
        return []
    if dev.kind != "server":
        return [f"{at}.posture: only for kind = 'server'"]
    if dev.transport not in ("local", "ssh", "winrm") or device_type not in (None, "linux", "windows"):
        return [f"{at}.posture: needs local = {{}}, winrm, or ssh with device_type 'linux' or 'windows'"]
    return []


def _loops(name: str, parents: dict[str, str]) -> bool:
    current, steps = parents.get(name), 0
    while current is not None and steps <= len(parents):
        if current == name:
            return True
        current, steps = parents.get(current), steps + 1
    return False
