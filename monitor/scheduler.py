"""Poll every device on its own interval, with jitter and a timeout; one slow device never
delays another, and every cycle says ``up 0`` or ``up 1`` for each device."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from collectors.base import Collector
from monitor.core.errors import CollectError
from monitor.core.model import Reading, SeriesTable
from monitor.pollstats import PollStats

log = logging.getLogger(__name__)

Sink = Callable[[list[Reading]], None]
_NONE: dict[str, str] = {}  # a heartbeat's or constant's own labels: only the device's


@dataclass(kw_only=True)
class Job:
    """One device (or link) to poll: its labels, collector, interval and timeout.

    ``heartbeat`` is the metric that says whether the job answered (``up``); link probes have
    none, because their readings (``link_loss_percent``) already say it and ``up`` means a device.
    ``constants`` are inventory facts sent with every collection that answered (a UPS's design
    runtime), so a dashboard can draw them beside what was measured.
    """

    device: str
    labels: dict[str, str]
    collector: Collector
    interval: float
    timeout: float
    heartbeat: str | None = "up"
    constants: dict[str, float] = field(default_factory=dict)
    transport: str = ""  # snmp, ssh, … (link, backup): how /metrics groups poll durations
    skipped: int = 0
    failing: str | None = None  # why the last collection failed; logged when it starts
    running: asyncio.Task[None] | None = field(default=None, repr=False)
    series: SeriesTable = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.series = SeriesTable(self.labels)


async def collect_once(job: Job, now: float) -> list[Reading]:
    """One collection of one device: its readings with the device's labels, then ``up``
    (the job's heartbeat, if it has one).

    The device's identity labels win over labels a collector reports, so a script cannot
    claim to be another device. Failures become ``up 0`` and one log line, never a raise.
    """
    up = 1.0
    readings: list[Reading] = []
    failure: str | None = None
    try:
        raw = await asyncio.wait_for(job.collector.collect(now), timeout=job.timeout)
        # Each series' labels (device labels merged in) and identity are made at its first poll
        # and reused after: cheaper than a new dict per reading, and the store, the engine and
        # the outputs find what they keep per series by the object (monitor.core.model.Series).
        reading = job.series.reading
        readings = [reading(r.metric, r.value, r.labels, r.ts, r.annotations) for r in raw]
    except TimeoutError:
        up, failure = 0.0, f"collection timed out after {job.timeout:g}s"
    except CollectError as err:
        up, failure = 0.0, f"collection failed: {err}"
    except Exception as err:  # a collector bug must not stop the others
        up, failure = 0.0, f"collector crashed: {type(err).__name__}"
        if job.failing is None:  # the traceback once, for the bug report
            log.exception("device=%s %s", job.device, failure)
            job.failing = failure
    _log_change(job, failure)
    if up:
        readings += [job.series.reading(name, value, _NONE, now) for name, value in job.constants.items()]
    if job.heartbeat is not None:
        readings.append(job.series.reading(job.heartbeat, up, _NONE, now))
    return readings


def _log_change(job: Job, failure: str | None) -> None:
    # A dead device fails every poll, often in varying words (paramiko's race between banner
    # and login): one line when it stops answering, one when it answers again; up 0 says the rest.
    if failure is not None and job.failing is None:
        log.warning("device=%s %s", job.device, failure)
    elif failure is not None:
        log.debug("device=%s %s (still failing)", job.device, failure)
    elif job.failing is not None:
        log.info("device=%s answers again", job.device)
    job.failing = failure


class Scheduler:
    """Runs one polling loop per job until ``stop`` is set."""

    def __init__(
        self,
        jobs: Sequence[Job],
        sink: Sink,
        *,
        jitter: float = 5.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        observe: PollStats | None = None,
    ) -> None:
        self.jobs = list(jobs)
        self.sink = sink
        self.observe = observe  # each collection's duration and outcome, for /metrics
        self.jitter = jitter
        self.clock = clock
        self.rng = rng or random.Random()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set, then cancel what is still running."""
        loops = [asyncio.create_task(self._loop(job, stop), name=job.device) for job in self.jobs]
        try:
            await stop.wait()
        finally:
            for task in loops:
                task.cancel()
            for job in self.jobs:
                if job.running is not None:
                    job.running.cancel()
            await asyncio.gather(*loops, return_exceptions=True)

    async def _loop(self, job: Job, stop: asyncio.Event) -> None:
        delay = self.rng.uniform(0, min(self.jitter, job.interval))
        loop = asyncio.get_running_loop()
        next_tick = loop.time() + delay
        while not stop.is_set():
            await asyncio.sleep(max(0.0, next_tick - loop.time()))
            next_tick += job.interval
            if loop.time() > next_tick:  # we fell far behind (suspend): don't burst to catch up
                next_tick = loop.time() + job.interval
            if job.running is not None and not job.running.done():
                job.skipped += 1
                if job.skipped == 1:
                    log.warning(
                        "device=%s previous collection still running; skipping ticks", job.device
                    )
                continue
            if job.skipped:
                log.info("device=%s collection caught up after %d skipped tick(s)",
                         job.device, job.skipped)
                job.skipped = 0
            job.running = asyncio.create_task(self._collect(job))

    async def _collect(self, job: Job) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        readings = await collect_once(job, self.clock())
        if self.observe is not None:
            self.observe.observe(transport=job.transport, kind=job.labels.get("kind", ""),
                                 seconds=loop.time() - started, failed=job.failing is not None)
        self.sink(readings)
