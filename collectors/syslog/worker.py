"""The receiver's worker thread: parse, match, hash-chain and store what the event loop queued.

The loop only reads sockets and judges senders (cheap, and it must never wait); everything a
message costs beyond that happens here, a batch at a time, in one long-lived thread. Splitting
the work this way matters on one core: the loop sleeps in ``select`` most of the time, so the
GIL changes hands a few times per batch, not after every ``recvfrom`` (a worker that held it
only for the disk while the loop parsed starved one or the other: bench/bench_syslog.py).
Readings the catalog makes are handed back to the loop once per batch.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from collectors.syslog.catalog import Catalog
from collectors.syslog.events import Tally
from collectors.syslog.parse import Message, parse, with_event
from monitor.core.model import Reading

log = logging.getLogger(__name__)

BATCH = 4000       # messages per store transaction at most
FLUSH_S = 0.2      # how long the idle thread sleeps between looks at the queue
GATHER = 256       # messages taken at once without waiting; fewer wait up to GATHER_S for more
GATHER_S = 0.02
Queued = tuple[bytes, str, str, bool, float, "dict[str, str] | None", "str | None"]
"""(raw, source address, device, truncated, received, the sender's device labels, its charset)."""


class Archive(Protocol):
    """Where messages are kept (monitor.store.evidence.Evidence)."""

    def chain(self, entries: Sequence[Message]) -> Any:
        """Link a batch into the hash chain."""

    def write(self, batch: Any) -> int:
        """Store a chained batch."""

    def seal(self, now: float) -> object:
        """Seal the days that are over."""

    def prune(self, now: float) -> int:
        """Delete what is past retention."""

    def close(self) -> None:
        """Close it."""


class Worker:
    """Drains ``queue`` into ``archive`` in batches until stopped (then drains what is left)."""

    def __init__(self, *, queue: deque[Queued], archive: Archive, catalog: Catalog, tally: Tally,
                 emit: Callable[[list[Reading]], object]) -> None:
        self.queue = queue
        self.archive = archive
        self.catalog = catalog
        self.tally = tally
        self.emit = emit              # called from this thread: it hands over to the loop itself
        self.stored = 0
        self.truncated = 0
        self.unparsed = 0
        self.matched = 0
        self.lost = 0                 # messages whose batch the store refused
        self.busy = 0                 # messages taken from the queue, not yet stored or lost
        self._tally = threading.Lock()  # the loop asks for recent() while this thread counts
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="syslog-store", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def wake(self) -> None:
        """The first message, or GATHER of them, are waiting (cheap when already told)."""
        if not self._wake.is_set():
            self._wake.set()

    def stop(self) -> None:
        """Store what is queued, then end the thread (blocking: call it from a worker thread)."""
        self._stopping = True
        self._wake.set()
        self._thread.join()

    def recent(self, now: float) -> list[Reading]:
        """The tally's ``login_failures_recent`` (see events.Tally.recent)."""
        with self._tally:
            return self.tally.recent(now)

    def _run(self) -> None:
        queue, wake = self.queue, self._wake
        while True:
            wake.clear()
            if not queue:
                if self._stopping:
                    return
                wake.wait(FLUSH_S)  # the loop wakes us with the first message
                continue
            if len(queue) < GATHER and not self._stopping:
                # A few messages: let more gather (the loop wakes us at GATHER). A transaction
                # and a thread switch for each handful cost more than the messages themselves.
                wake.clear()
                wake.wait(GATHER_S)
            n = min(len(queue), BATCH)
            self.busy = n
            items = [queue.popleft() for _ in range(n)]
            try:
                self._store(items)
            except Exception as err:  # disk full, database locked: count, say it, keep receiving
                self.lost += n
                log.error("syslog: %d message(s) could not be stored: %s", n, err)
                if not self._stopping:
                    wake.wait(1.0)
            finally:
                self.busy = 0

    def _store(self, items: list[Queued]) -> None:
        messages: list[Message] = []
        keep = messages.append
        readings: list[Reading] = []
        match = self.catalog.match
        for raw, source, device, truncated, received, labels, charset in items:
            msg = parse(raw, received=received, source=source, device=device, charset=charset,
                        truncated=truncated)
            if truncated:
                self.truncated += 1
            if not msg.parsed:
                self.unparsed += 1
            event = match(msg.text)
            if event is not None:
                self.matched += 1
                msg = with_event(msg, event.event)
                with self._tally:
                    readings += self.tally.readings(msg, event, labels or {"device": source})
            keep(msg)
        if readings:
            self.emit(readings)
        self.stored += self.archive.write(self.archive.chain(messages))
