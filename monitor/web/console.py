"""The console as the daemon runs it: sources from the daemon's parts, its health, the server task."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from monitor import config as config_mod
from monitor.pollstats import PollStats
from monitor.web import app as app_mod
from monitor.web import server
from monitor.web.accounts import Accounts
from monitor.web.latest import Latest
from monitor.web.sources import Sources
from monitor.wiring import Parts


def sources_of(settings: Callable[[], config_mod.Settings], parts: Parts, latest: Latest, *,
               polls: PollStats | None = None, clock: Callable[[], float] = time.time,
               reload: Callable[[], None] = lambda: None) -> Sources:
    """What the console reads, from the running daemon's own parts (one alerts.db connection,
    one store, the scheduler's poll statistics): the console sees exactly what the pipeline decided."""
    return Sources(settings=settings, state_dir=parts.state_dir, alerts_db=parts.outbox.db,
                   store=parts.store, accounts=Accounts(parts.state_dir / "web.db"), latest=latest,
                   health=lambda: health(settings(), parts, latest), clock=clock, reload=reload,
                   polls=PollStats() if polls is None else polls)


def health(settings: config_mod.Settings, parts: Parts, latest: Latest) -> dict[str, float]:
    """The daemon's own health for /metrics (names in monitor.web.metrics.FAMILIES)."""
    values: dict[str, float] = {
        "roomwatch_devices": len(settings.devices),
        "roomwatch_devices_down": sum(1 for d in settings.devices if latest.up(d.name) == 0),
        "roomwatch_store_buffered_readings": parts.store.primary.buffered(),
        "roomwatch_outbox_messages": parts.outbox.pending(),
        "roomwatch_engine_series": parts.engine.series_count(),
        "roomwatch_engine_active_alerts": len(parts.engine.active()),
        "roomwatch_notifications_sent": parts.dispatcher.sent,
        "roomwatch_notification_failures": parts.dispatcher.failures,
    }
    for output in parts.store.outputs:
        stats = output.stats()
        values[f"roomwatch_output_queued_points{{output={output.name}}}"] = stats["queued"]
        values[f"roomwatch_output_dropped_points{{output={output.name}}}"] = stats["dropped"]
    return values


async def run(settings: Callable[[], config_mod.Settings], parts: Parts, latest: Latest, polls: PollStats,
              stop: asyncio.Event, reload: asyncio.Event) -> None:
    """Serve the console until ``stop``; the daemon starts this when ``[web] enabled``. Setting
    ``reload`` asks the daemon to re-read its config (after the registry changed)."""
    src = sources_of(settings, parts, latest, polls=polls, reload=reload.set)
    web = settings().web
    try:
        await server.serve(app_mod.build(src, https=web.tls_cert is not None), web, stop)
    finally:
        src.accounts.close()
