"""The device inventory: what is in the machine room, where, how critical, and how to reach it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from collectors import DEFAULT, REGISTRY, transport, transports
from monitor.core.durations import Duration
from monitor.core.options import PluginOptions

# Transport sub-tables a device may carry: each is a field of Device, one per registry line.
TRANSPORTS: tuple[str, ...] = tuple(REGISTRY)

DeviceKind = Literal["switch", "router", "firewall", "ups", "sensor", "server"]


class Device(BaseModel):
    """One ``[[devices]]`` table: identity, place, criticality and one transport sub-table
    (a field per registered transport, added below from the registry)."""

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

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if any(ch.isspace() for ch in value):
            raise ValueError(f"{value!r} contains white space; use - or _")
        return value

    @property
    def transport(self) -> str:
        """Which collector reads this device: the sub-table given, or ``local`` if none."""
        given = [name for name in self.tables() if name != DEFAULT]
        return given[0] if given else DEFAULT

    def tables(self) -> dict[str, PluginOptions]:
        """The transport sub-tables given, by transport name."""
        return {name: table for name in TRANSPORTS if (table := getattr(self, name)) is not None}

    def options(self) -> PluginOptions:
        """The options of this device's transport (their defaults when the table is left out)."""
        given = self.tables().get(self.transport)
        return given if given is not None else transport(self.transport).options()

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
        for name, table in dev.tables().items():
            if table.needs_address and not dev.address:
                problems.append(f"{where}devices[{i}].address: required for {name}")
        if dev.parent is None:
            continue
        if dev.parent not in seen:
            problems.append(f"{where}devices[{i}].parent: no device named {dev.parent!r}")
        elif _loops(dev.name, devices):
            problems.append(f"{where}devices[{i}].parent: {dev.name!r} is its own ancestor")
    return problems


def _loops(name: str, devices: Iterable[Device]) -> bool:
    parents = {d.name: d.parent for d in devices}
    current, steps = parents.get(name), 0
    while current is not None and steps <= len(parents):
        if current == name:
            return True
        current, steps = parents.get(current), steps + 1
    return False
