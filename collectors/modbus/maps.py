"""Modbus register maps as data: which registers a device has and what each one means.

A map is a TOML file in ``collectors/modbus/maps/`` (or any path a site names), or the
``registers = [...]`` list inline in a device's ``modbus`` table. One entry::

    [[registers]]
    metric = "temperature_celsius"
    address = 1               # 0-based protocol address (register 40002 on a data sheet is 1)
    function = "input"        # coil | discrete | holding | input
    type = "int16"            # bool | int16 | uint16 | int32 | uint32 | float32
    word_order = "big"        # 32-bit types: big = high word first, little = low word first
    scale = 0.1               # value = raw * scale + offset
    offset = 0.0
    bit = 3                   # optional: one bit (0 = least significant) of a 16-bit register
    labels = { sensor = "probe-1" }
    map = { "0" = 1, "1" = 0 }   # optional: raw value -> reading (others are dropped)
    ignore = [32767]             # raw values that mean "no sensor"
"""

from __future__ import annotations

import struct
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from monitor.core.errors import ConfigError
from monitor.core.model import Reading

SHIPPED = Path(__file__).parent / "maps"

Function = Literal["coil", "discrete", "holding", "input"]
Type = Literal["bool", "int16", "uint16", "int32", "uint32", "float32"]

# Registers per type, and the struct format of the big-endian bytes of those registers.
WIDTH: dict[str, int] = {"bool": 1, "int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2}
_FORMAT: dict[str, str] = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f"}
# The protocol's own ceilings per request (Modbus application protocol v1.1b3, 6.1–6.4).
MAX_REGISTERS = 125
MAX_BITS = 2000


class RegisterSpec(BaseModel):
    """One register (or register pair, or bit) and the reading it gives."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Reading name, e.g. water_leak.")
    address: int = Field(ge=0, le=65535, description="0-based protocol address.")
    function: Function = Field("holding", description="coil, discrete, holding or input.")
    type: Type | None = Field(None, description="bool for coils/discrete inputs, else a number type.")
    word_order: Literal["big", "little"] = Field("big", description="32-bit types: which word first.")
    scale: float = Field(1.0, description="Multiplier applied to the raw value.")
    offset: float = Field(0.0, description="Added after scaling.")
    bit: int | None = Field(None, ge=0, le=15, description="Read one bit of a 16-bit register.")
    labels: dict[str, str] = Field(default_factory=dict, description="Fixed labels of the reading.")
    map: dict[str, float] | None = Field(None, description="Raw value -> reading; others dropped.")
    ignore: list[float] = Field(default_factory=list, description="Raw values meaning no sensor.")

    @model_validator(mode="after")
    def _consistent(self) -> RegisterSpec:
        bits = self.function in ("coil", "discrete")
        if self.type is None:
            self.type = "bool" if bits or self.bit is not None else "uint16"
        if bits and self.type != "bool":
            raise ValueError(f"{self.function} holds single bits: type must be bool, not {self.type}")
        if not bits and self.type == "bool" and self.bit is None:
            raise ValueError("type bool on a register needs bit = 0…15")
        if self.bit is not None and (bits or WIDTH[self.type] != 1):
            raise ValueError("bit needs a 16-bit holding or input register")
        if self.address + WIDTH[self.type] > 65536:
            raise ValueError(f"{self.type} at {self.address} runs past address 65535")
        return self

    @property
    def width(self) -> int:
        """How many registers (or bits) this entry spans."""
        return WIDTH[self.type or "uint16"] if self.bit is None else 1


class MapFile(BaseModel):
    """The schema of one map file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = ""
    source: str = Field(min_length=1, description="The document whose register table this follows.")
    registers: list[RegisterSpec] = Field(min_length=1)


Words = Sequence[int] | Sequence[bool]
Converter = Callable[[Words, int], float]
Step = tuple[int, Converter, str, dict[str, str], float, float, dict[str, float] | None, frozenset[float]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    """One read request: a contiguous run of one function's addresses, and what lives in it."""

    function: str
    start: int
    count: int
    specs: tuple[RegisterSpec, ...]
    # Per spec, worked out once here rather than on every poll (decoding was most of a poll's
    # own CPU): offset in the answer, converter, metric, labels, scale, offset, map, ignored.
    steps: tuple[Step, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        steps = tuple((s.address - self.start, converter(s), s.metric, s.labels, s.scale, s.offset, s.map,
                       frozenset(s.ignore)) for s in self.specs)
        object.__setattr__(self, "steps", steps)


def shipped_maps() -> list[str]:
    """Names of the maps that ship with roomwatch."""
    return sorted(p.stem for p in SHIPPED.glob("*.toml"))


def load_map(ref: str) -> MapFile:
    """A shipped map by name, or a site's map file by path; ConfigError names the file and field."""
    path = Path(ref) if ("/" in ref or ref.endswith(".toml")) else SHIPPED / f"{ref}.toml"
    if not path.is_file():
        have = ", ".join(shipped_maps())
        raise ConfigError([f"modbus map {ref!r}: no such file (shipped maps: {have})"])
    try:
        return MapFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([f"{path}: not TOML: {err}"]) from None
    except ValidationError as err:
        raise ConfigError([f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}"
                           for e in err.errors()]) from None


def plan(specs: Iterable[RegisterSpec], *, max_registers: int = MAX_REGISTERS,
         max_gap: int = 0) -> list[Block]:
    """Group entries into as few requests as the limits allow: same function, addresses
    contiguous (or apart by at most ``max_gap`` unread ones), at most ``max_registers`` long."""
    blocks: list[Block] = []
    by_function: dict[str, list[RegisterSpec]] = {}
    for spec in specs:
        by_function.setdefault(spec.function, []).append(spec)
    for function in sorted(by_function):
        limit = MAX_BITS if function in ("coil", "discrete") else max_registers
        run: list[RegisterSpec] = []
        start = end = 0
        for spec in sorted(by_function[function], key=lambda s: (s.address, s.bit or 0)):
            spec_end = spec.address + spec.width
            if run and spec.address <= end + max_gap and max(end, spec_end) - start <= limit:
                end = max(end, spec_end)
                run.append(spec)
                continue
            if run:
                blocks.append(Block(function=function, start=start, count=end - start, specs=tuple(run)))
            run, start, end = [spec], spec.address, spec_end
        if run:
            blocks.append(Block(function=function, start=start, count=end - start, specs=tuple(run)))
    return blocks


def decode(block: Block, values: Words, now: float) -> list[Reading]:
    """Readings from one block's answer (``values`` holds at least ``block.count`` items)."""
    out: list[Reading] = []
    for at, convert, metric, labels, scale, offset, mapping, ignore in block.steps:
        raw = convert(values, at)
        if mapping is not None:
            mapped = mapping.get(str(int(raw)))
            if mapped is not None:
                out.append(Reading(metric, mapped, dict(labels), now))
            continue
        if raw != raw or raw in ignore:  # NaN: a float32 sensor that is absent
            continue
        out.append(Reading(metric, round(raw * scale + offset, 6), dict(labels), now))
    return out


def converter(spec: RegisterSpec) -> Converter:
    """The function that turns the words at an offset into this entry's raw number."""
    if spec.bit is not None:
        bit = spec.bit
        return lambda words, at: float((int(words[at]) >> bit) & 1)
    if spec.type == "bool":
        return lambda words, at: 1.0 if words[at] else 0.0
    if spec.type == "uint16":
        return lambda words, at: float(words[at])
    if spec.type == "int16":
        return lambda words, at: float(int(words[at]) - 0x10000 if int(words[at]) & 0x8000 else words[at])
    pair, value = struct.Struct(">HH"), struct.Struct(_FORMAT[spec.type or "uint32"])
    if spec.word_order == "little":
        return lambda words, at: float(value.unpack(pair.pack(int(words[at + 1]) & 0xFFFF,
                                                                int(words[at]) & 0xFFFF))[0])
    return lambda words, at: float(value.unpack(pair.pack(int(words[at]) & 0xFFFF,
                                                            int(words[at + 1]) & 0xFFFF))[0])
