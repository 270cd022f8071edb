"""The Alertmanager output: alert transitions to one or more Prometheus Alertmanagers
(``POST /api/v2/alerts``), for de-duplicated paging across the daemons of an HA pair or many sites.

It speaks like Prometheus does: a firing alert is posted when it fires and re-sent every
``resend_interval`` with ``endsAt`` a few intervals ahead (so an Alertmanager resolves it by itself
if every daemon that saw it falls silent); a resolved alert is posted with ``endsAt`` = when it
resolved. Nothing is lost while an Alertmanager is down, across restarts too: the firing set is
kept on disk, and each destination has its own durable queue of resolved transitions
(monitor/store/spool.py, as the InfluxDB output), replayed in order before the firing set is
sent again.
"""

from __future__ import annotations

import json
import logging
import os
import random
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.core.model import Alert, AlertState, Reading, alert_from_json, alert_to_json
from monitor.store.settings import AlertmanagerSettings, public_url
from monitor.store.spool import Spool

log = logging.getLogger(__name__)

MAX_BACKOFF = 60.0
ENDS_AHEAD = 4
"""A firing alert's ``endsAt`` is this many re-send intervals ahead (Prometheus uses 4)."""


def payload(alert: Alert, *, drop: Sequence[str], now: float, resend: float) -> dict[str, Any]:
    """One alert as Alertmanager's API v2 takes it. Labels identify it, so the labels that differ
    between the daemons of a pair (``poller``) are left out: both then post the same alert."""
    labels = {k: v for k, v in alert.labels.items() if k not in drop and v}
    labels.update(alertname=alert.rule, severity=alert.severity.value)
    notes = {k: v for k, v in alert.annotations.items() if v}
    notes.update({k: v for k, v in (("summary", alert.summary), ("clause", alert.clause),
                                    ("value", f"{alert.value:g}")) if v})
    if alert.state is AlertState.RESOLVED and alert.resolved_at is not None:
        ends = alert.resolved_at
    else:
        ends = now + ENDS_AHEAD * resend
    return {"labels": labels, "annotations": notes, "startsAt": _iso(alert.fired_at or alert.active_at),
            "endsAt": _iso(ends)}


class AlertmanagerOutput:
    """Posts alert transitions to every configured Alertmanager, each from its own thread and queue.
    Readings are not Alertmanager's business and are ignored."""

    name = "alertmanager"

    def __init__(self, settings: AlertmanagerSettings, state: Path, *, first_backoff: float = 1.0) -> None:
        self.settings = settings
        self._firing_path = state / "alertmanager-firing.json"
        self._lock = threading.Lock()
        self._firing: dict[str, Alert] = _load_firing(self._firing_path)
        self._destinations = [_Destination(self, url, state / f"alertmanager-queue-{i}.db", first_backoff)
                              for i, url in enumerate(settings.urls)]
        for dest in self._destinations:
            dest.thread.start()

    def write(self, readings: Sequence[Reading]) -> None:
        """Readings go to the stores, not to Alertmanager."""

    def write_alerts(self, alerts: Sequence[Alert]) -> None:
        """Keep the firing set (on disk) and queue resolved transitions (on disk) on every
        destination; each destination then sends at once."""
        told = [a for a in alerts if a.state is not AlertState.PENDING]
        if not told:
            return
        with self._lock:
            for alert in told:
                if alert.state is AlertState.FIRING:
                    self._firing[alert.fingerprint] = alert
                else:
                    self._firing.pop(alert.fingerprint, None)
            _save_firing(self._firing_path, self._firing.values())
        resolved = [a for a in told if a.state is AlertState.RESOLVED]
        # Firing alerts are not queued: the firing set is sent whole behind the queue. A queued
        # "firing" replayed late would reach an Alertmanager after its peer had already paged
        # the resolve, and page the person a second time.
        body = self._encode(resolved, time.time()) if resolved else b""
        for dest in self._destinations:
            if resolved:
                dest.spool.push(body, len(resolved))
            dest.send_firing_now()

    def flush(self) -> None:
        """Nothing to hurry: each destination sends as soon as something is queued."""

    def close(self) -> None:
        """Stop the senders; what is queued stays on disk for the next start."""
        for dest in self._destinations:
            dest.stop.set()
            dest.wake()
        for dest in self._destinations:
            dest.thread.join()
            dest.spool.close()

    def stats(self) -> dict[str, int]:
        """Alerts sent, rejected, waiting in the queues, dropped from a full queue (all destinations)."""
        return {"sent": sum(d.sent for d in self._destinations),
                "rejected": sum(d.rejected for d in self._destinations),
                "queued": sum(d.spool.points for d in self._destinations),
                "dropped": sum(d.spool.dropped for d in self._destinations)}

    def firing(self, now: float) -> tuple[bytes, int]:
        """The firing set as one request body, ``endsAt`` renewed from ``now``, and its size."""
        with self._lock:
            alerts = list(self._firing.values())
        return (self._encode(alerts, now) if alerts else b""), len(alerts)

    def _encode(self, alerts: Sequence[Alert], now: float) -> bytes:
        drop, resend = self.settings.drop_labels, self.settings.resend_interval
        items = [payload(a, drop=drop, now=now, resend=resend) for a in alerts]
        # Plain JSON: Alertmanager does not take a gzip body, and transitions are few and small.
        return json.dumps(items, ensure_ascii=False).encode()


class _Destination:
    """One Alertmanager: its queue, its sender thread, its counters."""

    def __init__(self, owner: AlertmanagerOutput, url: str, spool_path: Path, first_backoff: float) -> None:
        self.owner = owner
        self.url = url.rstrip("/") + "/api/v2/alerts"
        self.where = public_url(url)
        self.spool = Spool(spool_path, max_points=owner.settings.queue_size,
                           name=f"alertmanager {self.where}", setting="[alertmanager] queue_size")
        self.first_backoff = first_backoff
        self.stop = threading.Event()
        self.sent = 0
        self.rejected = 0
        self._cond = threading.Condition()
        self._failures = 0
        self._next_resend = 0.0
        self._firing_due = False
        self._kicked = False
        self._down_told = 0.0
        self._context = None if owner.settings.verify_tls else ssl._create_unverified_context()
        self.thread = threading.Thread(target=self._run, name=f"alertmanager-{self.where}", daemon=True)

    def wake(self) -> None:
        """Look at the queue now (something was queued, or it is time to stop)."""
        with self._cond:
            self._kicked = True
            self._cond.notify()

    def send_firing_now(self) -> None:
        """Send the firing set as soon as the queue in front of it is empty."""
        with self._cond:
            self._firing_due = self._kicked = True
            self._cond.notify()

    def _run(self) -> None:
        resend = self.owner.settings.resend_interval
        while True:
            with self._cond:
                if self.stop.is_set():
                    return
                self._kicked = False
            batch = self.spool.peek()
            if batch is not None:
                if self._post(batch.body, batch.points) is not False:
                    self.spool.pop(batch)  # delivered, or refused for good (logged)
                    continue
            else:
                with self._cond:
                    due = self._firing_due or time.monotonic() >= self._next_resend
                    self._firing_due = False
                if not due:
                    self._wait(self._next_resend - time.monotonic())
                    continue
                body, count = self.owner.firing(time.time())
                if not count or self._post(body, count) is not False:
                    self._next_resend = time.monotonic() + resend
                    continue
                with self._cond:
                    self._firing_due = True  # try again after the backoff
            self._failures += 1
            delay = min(MAX_BACKOFF, self.first_backoff * 2.0 ** (self._failures - 1))
            self._wait(delay * random.uniform(0.8, 1.2))  # a new transition cuts it short

    def _wait(self, seconds: float) -> None:
        # Checked under the lock that wake() takes: a wake-up between the check and the wait
        # would otherwise be lost, and close() would wait out a whole backoff.
        with self._cond:
            if not self._kicked and not self.stop.is_set():
                self._cond.wait(max(0.0, seconds))

    def _post(self, body: bytes, points: int) -> bool | None:
        """True: taken. None: refused for good (sending again cannot help). False: try again."""
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.owner.settings.timeout,
                                        context=self._context) as answer:
                answer.read()
        except urllib.error.HTTPError as err:
            reason = err.read()[:300].decode(errors="replace").strip()
            if err.code in (408, 429) or err.code >= 500:
                self._down(f"HTTP {err.code}")
                return False
            self.rejected += points
            log.error("alertmanager %s rejected %d alert(s) (HTTP %d: %s); they are dropped, sending "
                      "them again cannot help", self.where, points, err.code, reason)
            return None
        except OSError as err:
            self._down(type(err).__name__)
            return False
        if self._failures:
            log.info("alertmanager %s answers again; %d alert(s) still queued", self.where, self.spool.points)
        self._failures = 0
        self.sent += points
        return True

    def _down(self, why: str) -> None:
        now = time.monotonic()
        if now - self._down_told >= 60.0 or not self._down_told:
            self._down_told = now
            log.warning("alertmanager %s unreachable (%s); %d alert transition(s) queued on disk",
                        self.where, why, self.spool.points)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _load_firing(path: Path) -> dict[str, Alert]:
    """The firing set kept by the last run (re-sent after a restart until each one resolves)."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        log.warning("alertmanager: %s unreadable (%s); the firing set starts empty", path, err)
        return {}
    alerts = [alert_from_json(row) for row in rows if isinstance(row, str)]
    return {a.fingerprint: a for a in alerts}


def _save_firing(path: Path, alerts: Iterable[Alert]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([alert_to_json(a) for a in alerts], ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)  # atomic: a crash leaves the old set or the new, never half of one
