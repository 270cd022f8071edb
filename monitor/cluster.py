"""The ``[cluster]`` section: which devices this poller owns (``shard = "k/n"``, rendezvous
hashing) and the ``site`` / ``poller`` labels its readings carry in a shared store."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.core.host import local_name

_SHARD = re.compile(r"([1-9][0-9]*)/([1-9][0-9]*)")


class ClusterSettings(BaseModel):
    """Many pollers, one store: this poller's shard and the labels that tell pollers apart."""

    model_config = ConfigDict(extra="forbid")

    shard: str = Field("1/1", description='This poller\'s shard "k/n": it polls the devices that '
                       "rendezvous hashing gives to shard k of n.")
    site: str = Field("", description="Site label of readings whose device names no site; empty: none.")
    poller: str = Field("", description="Poller label on every reading; empty: none, or the host "
                        "name once the shard or site is set.")

    @field_validator("shard")
    @classmethod
    def _k_of_n(cls, value: str) -> str:
        found = _SHARD.fullmatch(value.strip())
        if found is None or int(found[1]) > int(found[2]):
            raise ValueError(f'{value!r} is not "k/n" with 1 <= k <= n, e.g. "2/3"')
        return value.strip()

    @property
    def index(self) -> int:
        """k of "k/n"."""
        return int(self.shard.split("/")[0])

    @property
    def count(self) -> int:
        """n of "k/n"."""
        return int(self.shard.split("/")[1])

    @property
    def used(self) -> bool:
        """Whether this daemon is one of several (a shard, a site, or a named poller)."""
        return self.count > 1 or bool(self.site or self.poller)

    def labels(self) -> dict[str, str]:
        """Labels added under every device's own (a device's ``site`` wins over ``site`` here);
        none for a lone daemon, so its series keep their identity."""
        if not self.used:
            return {}
        out = {"poller": self.poller or local_name()}
        if self.site:
            out["site"] = self.site
        return out

    def owns(self, key: str) -> bool:
        """Whether this shard polls the device (or link, backup job) named ``key``."""
        return owner(key, self.count) == self.index


def owner(key: str, shards: int) -> int:
    """The shard (1..n) that polls ``key``: the one with the highest hash of (shard, key).

    Rendezvous (highest random weight) hashing: going from n to n+1 shards moves only the keys
    the new shard wins, about 1/(n+1) of them, and every poller decides alone, with no
    coordination, from the same inventory."""
    return max(range(1, shards + 1), key=lambda k: _weight(k, key))


def split(keys: Iterable[str], shards: int) -> dict[int, list[str]]:
    """Every key under the shard that owns it (for ``docs/scaling.md`` figures and tests)."""
    out: dict[int, list[str]] = {k: [] for k in range(1, shards + 1)}
    for key in keys:
        out[owner(key, shards)].append(key)
    return out


def _weight(shard: int, key: str) -> int:
    # blake2b is stable across processes and Python versions, unlike hash(); 8 bytes are plenty.
    digest = hashlib.blake2b(f"{shard}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")
