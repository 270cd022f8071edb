"""The device inventory: what is in the machine room, where, how critical, and how to reach it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from collectors.exec import ExecOptions
from collectors.local import LocalOptions
from collectors.posture.options import PostureOptions
from collectors.snmp.options import SnmpOptions
from collectors.ssh.collector import SshOptions
from monitor.durations import Duration

# Transport sub-tables a device may carry, in the order they are looked for; each name is a
# field of Device and a key of collectors.REGISTRY.
TRANSPORTS: tuple[str, ...] = ("exec", "ssh", "snmp")

DeviceKind = Literal["switch", "router", "firewall", "ups", "sensor", "server"]


class Device(BaseModel):
    """One ``[[devices]]`` table: identity, place, criticality and one transport sub-table."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, description="Unique name; becomes the `device` label.")
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
    exec: ExecOptions | None = Field(None, description="Run a command printing line protocol.")
    local: LocalOptions | None = Field(None, description="Options for the local host.")
    ssh: SshOptions | None = Field(None, description="Read over SSH (netmiko).")
    snmp: SnmpOptions | None = Field(None, description="Poll over SNMP v1/v2c/v3.")
    posture: PostureOptions | None = Field(
        None, description="Server security posture checks: on by default for servers read through "
                          "local or ssh; false turns them off; a table tunes them.")


    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if any(ch.isspace() for ch in value):
            raise ValueError(f"{value!r} contains white space; use - or _")
        return value

    @property
    def transport(self) -> str:
        """Which collector reads this device: the sub-table given, or ``local`` if none."""
        for name in TRANSPORTS:
            if getattr(self, name) is not None:
                return name
        return "local"

    def labels(self) -> dict[str, str]:
        """Identity labels every reading of this device carries."""
        labels = {"device": self.name, "kind": self.kind, "level": str(self.level)}
        if self.site:
            labels["site"] = self.site
        if self.room:
            labels["room"] = self.room
        return labels


def check_inventory(devices: Sequence[Device], where: str) -> list[str]:
    """Problems that need the whole list: duplicate names, unknown parents, parent loops."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, dev in enumerate(devices):
        if dev.name in seen:
            problems.append(
                f"{where}devices[{i}].name: {dev.name!r} is already used by devices[{seen[dev.name]}]"
            )
        else:
            seen[dev.name] = i
    locals_ = [i for i, dev in enumerate(devices) if dev.transport == "local"]
    for i in locals_[1:]:
        problems.append(
            f"{where}devices[{i}]: a second device without a transport sub-table "
            f"(devices[{locals_[0]}] is already the local host); add exec = {{…}}"
        )
    for i, dev in enumerate(devices):
        if dev.design_runtime_minutes is not None and dev.kind != "ups":
            problems.append(f"{where}devices[{i}].design_runtime_minutes: only for kind = 'ups'")
        if dev.ssh is not None and not dev.address:
            problems.append(f"{where}devices[{i}].address: required for ssh")
        if dev.snmp is not None and not dev.address:
            problems.append(f"{where}devices[{i}].address: required for snmp")
        problems += _posture_problems(dev, f"{where}devices[{i}]")
        if dev.parent is None:
            continue
        if dev.parent not in seen:
            problems.append(f"{where}devices[{i}].parent: no device named {dev.parent!r}")
        elif _loops(dev.name, devices):
            problems.append(f"{where}devices[{i}].parent: {dev.name!r} is its own ancestor")
    return problems


def _posture_problems(dev: Device, at: str) -> list[str]:
    windows = dev.ssh is not None and dev.ssh.device_type == "windows"
    if windows and (dev.kind != "server" or (dev.posture is not None and not dev.posture.enabled)):
        return [f"{at}.ssh.device_type: 'windows' is read only by the posture checks; it needs "
                "kind = 'server' and posture not false"]
    if dev.posture is None or not dev.posture.enabled:
        return []
    if dev.kind != "server":
        return [f"{at}.posture: only for kind = 'server'"]
    if dev.transport not in ("local", "ssh") or (dev.ssh is not None and dev.ssh.device_type
                                                  not in ("linux", "windows")):
        return [f"{at}.posture: needs local = {{}} or ssh with device_type 'linux' or 'windows'"]
    return []


def _loops(name: str, devices: Iterable[Device]) -> bool:
    parents = {d.name: d.parent for d in devices}
    current, steps = parents.get(name), 0
    while current is not None and steps <= len(parents):
        if current == name:
            return True
        current, steps = parents.get(current), steps + 1
    return False
