"""What the console reads and acts on, handed in by the daemon (or a test): one object."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from alerts.db import Database
from monitor import config as config_mod
from monitor.pollstats import PollStats
from monitor.store.fanout import FanOut
from monitor.web.accounts import Accounts
from monitor.web.latest import Latest
from monitor.web.throttle import Throttle

T = TypeVar("T")

SNAPSHOT_FOR = 1.0
"""Seconds a shared snapshot of a busy page is reused."""

Health = Callable[[], dict[str, float]]
"""The daemon's own health as ``name → value`` (see monitor.web.metrics for the names)."""


@dataclass(kw_only=True)
class Sources:
    """The parts the console reads: the current settings (a reload swaps them), the state
    directory, the pipeline's alerts.db (firing alerts, acks, silences), the store of record
    (history), the accounts, the newest readings, the daemon's health, the clock, and a way to
    ask the daemon to reload."""

    settings: Callable[[], config_mod.Settings]
    state_dir: Path
    alerts_db: Database
    store: FanOut
    accounts: Accounts
    latest: Latest
    health: Health
    clock: Callable[[], float]
    polls: PollStats = field(default_factory=PollStats)
    """Poll durations and failures per transport and kind (the daemon's scheduler feeds it)."""
    throttle: Throttle = field(default_factory=Throttle)
    reload: Callable[[], None] = lambda: None
    """Asks the daemon to re-read its config and registry (after an approval)."""
    snapshots: dict[str, tuple[float, Any]] = field(default_factory=dict)
    """What many clients refresh (overview, /api/v2/alerts), kept ``SNAPSHOT_FOR`` seconds."""
    building: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    """Snapshots being rebuilt now (one build at a time per key, however many ask)."""

    async def snapshot(self, key: str, build: Callable[[], Awaitable[T]]) -> T:
        """``build()``'s result, made at most once a ``SNAPSHOT_FOR`` seconds whoever asks: twenty
        consoles refreshing every second cost one build a second, not twenty. The build runs on
        the daemon's loop in slices (see monitor.web.steps), never in a thread: a thread holding
        the GIL for a whole build would delay every poll far more than its slices do. An old result
        is answered at once while its successor is built; none (first ask, or just after an
        action cleared them) means waiting for the one build under way."""
        now = self.clock()
        found = self.snapshots.get(key)
        if found is not None and now - found[0] < SNAPSHOT_FOR:
            value: T = found[1]
            return value
        task = self.building.get(key)
        if task is None:
            task = self.building[key] = asyncio.create_task(self._build(key, build, now))
        if found is not None:
            value = found[1]
            return value
        # shield: one asker going away (a closed browser) must not cancel the others' build.
        built: T = await asyncio.shield(task)
        return built

    async def _build(self, key: str, build: Callable[[], Awaitable[T]], now: float) -> T:
        try:
            value = await build()
            self.snapshots[key] = (now, value)
            return value
        finally:
            self.building.pop(key, None)

    def audit(self, *, who: str, action: str, target: str, detail: str) -> None:
        """Record an action (append-only, with who and when); what pages show is built afresh."""
        self.snapshots.clear()
        self.accounts.record(who=who, action=action, target=target, detail=detail, now=self.clock())


def session_key(state_dir: Path) -> str:
    """The key that signs session cookies, made once and kept 0600 in the state directory, so
    logins survive a restart and no one without the state directory can forge one."""
    path = state_dir / "web-session.key"
    if not path.exists():
        tmp = path.with_name(path.name + ".tmp")
        tmp.touch(mode=0o600)
        tmp.write_text(secrets.token_urlsafe(48), encoding="ascii")
        tmp.replace(path)
    return path.read_text(encoding="ascii").strip()
