"""The dispatcher: route → group → mute → dedup → render → outbox, then deliver.

``submit`` records alert transitions and flushes what is due; ``deliver`` flushes groups whose
timers ran out, escalations and repair-time notices, then sends the outbox. Each stage is its
own module; this one composes them and owns the transactions that make a decision durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Mapping, Sequence

from alerts import dedup, followup, mute
from alerts.ack import Acks, is_acked
from alerts.config import NotifySettings, Receiver, Route
from alerts.delivery import Delivery
from alerts.group import Group, flush_due
from alerts.inhibit import compile_rules
from alerts.matchers import alert_labels
from alerts.notifiers.apprise import AppriseNotifier
from alerts.notifiers.sms import params_of
from alerts.outbox import Outbox
from alerts.render import Renderer, state_of
from alerts.route import CompiledRoute, compile_routes, match, routes_of
from alerts.silence import Silences
from alerts.state import State
from monitor.core.errors import StoreError
from monitor.core.model import Alert, AlertState
from monitor.core.windows import Window

log = logging.getLogger(__name__)

# The shorthand ``default`` receiver (and any built from bare URLs) has every default.
_PLAIN = Receiver.model_construct(name="default", urls=[], format="im", lang=None, fallback=None,
                                  fallback_after=3, rate_limit=0)


class Dispatcher:
    """Turns alert transitions into durable messages and delivers them."""

    def __init__(self, outbox: Outbox, notifier: AppriseNotifier, *,
                 settings: NotifySettings | None = None, lang: str | None = None,
                 retry_initial: float | None = None, retry_max: float | None = None,
                 parents: Mapping[str, str] | None = None, windows: Sequence[Window] = ()) -> None:
        self.outbox = outbox
        self.db = outbox.db
        self.state = State(self.db)
        self.silences = Silences(self.db)
        self.acks = Acks(self.db)
        self.delivery = Delivery(outbox, notifier)
        self.routes: list[CompiledRoute] = []
        self._muted: dict[str, str] = {}  # fingerprint → why, as last logged
        self._waiting: list[Alert] = []  # transitions not yet written (alerts.db failing)
        self._failing = False  # alerts.db writes fail: said once, until they work again
        self.recovered = mute.Recovered()
        self.reconfigure(settings or NotifySettings(), notifier, parents=parents or {}, windows=windows)
        if lang is not None:
            self.lang = lang
        if retry_initial is not None:
            self.delivery.retry_initial = retry_initial
        if retry_max is not None:
            self.delivery.retry_max = retry_max
        self._lock = asyncio.Lock()

    @property
    def notifier(self) -> AppriseNotifier:
        """The channels messages go out by."""
        return self.delivery.notifier

    @property
    def sent(self) -> int:
        """Messages accepted by their channel since start."""
        return self.delivery.sent

    @property
    def failures(self) -> int:
        """Failed attempts since start."""
        return self.delivery.failures

    def reconfigure(self, settings: NotifySettings, notifier: AppriseNotifier, *,
                    parents: Mapping[str, str], windows: Sequence[Window]) -> None:
        """Take a (re)loaded config; alerts, groups told about and the outbox carry over."""
        self.settings = settings
        self.lang = settings.lang
        self.parents = dict(parents)
        self.windows = list(windows)
        self.renderer = Renderer(settings.templates_dir)
        self.inhibit_rules = compile_rules(settings.inhibit)
        self.policies = followup.compile_policies(settings.escalations)
        self.routes = compile_routes(routes_of(settings, list(notifier.receivers)))
        self.receivers = {r.name: r for r in settings.receivers}
        for person in settings.oncall.people:
            self.receivers[f"oncall:{person.name}"] = Receiver.model_construct(
                name=f"p-{person.name}", urls=person.urls, format="sms")  # urls may be empty: phone only
        self.delivery.configure(notifier, self.receivers, retry_initial=settings.retry_initial,
                                retry_max=settings.retry_max, heartbeat_url=settings.heartbeat_url,
                                heartbeat_interval=settings.heartbeat_interval)
        with self.db.transaction() as tx:
            self._rebuild_groups(tx)

    def _rebuild_groups(self, tx: sqlite3.Connection | None) -> None:
        """Members of every group from the alerts and what was told (a changed tree: keep
        what was told, to resolve it)."""
        for group in self.state.groups.values():
            told = self.state.nflog.get(group.key)
            group.members = set(told.firing) if told else set()
        for alert in self.state.alerts.values():
            self._place(tx, alert, alert.active_at)

    def receiver(self, name: str) -> Receiver:
        """A receiver's settings (the shorthand ``default`` gets the defaults)."""
        found = self.receivers.get(name)
        return found if found is not None else _PLAIN

    # --- recording -------------------------------------------------------------------------

    def submit(self, alerts: Sequence[Alert], now: float) -> int:
        """Record transitions, then flush what is due; return how many messages were queued.

        A transition counts only once it is written: when ``alerts.db`` cannot be written (disk
        full, I/O error) it is kept, in order, and written by the next ``submit`` or ``deliver``
        before anything else, and StoreError(retryable=True) says so meanwhile.
        """
        for alert in alerts:
            if alert.state is not AlertState.PENDING:
                level = logging.WARNING if alert.state is AlertState.FIRING else logging.INFO
                log.log(level, "alert=%s state=%s severity=%s device=%s value=%g summary=%s",
                        alert.rule, alert.state.value, alert.severity.value,
                        alert.labels.get("device", "?"), alert.value, alert.summary)
        self._waiting += alerts
        self.recovered.note(alerts, self.settings.down_rule, now)
        self._record(now)
        return self._flush_logged(now)

    @property
    def unrecorded(self) -> int:
        """Transitions kept in memory because alerts.db could not be written yet."""
        return len(self._waiting)

    def _record(self, now: float) -> None:
        if not self._waiting:
            return
        try:
            with self.db.transaction() as tx:
                for alert in self._waiting:
                    self._put(tx, alert, now)
        except sqlite3.Error as err:
            self._failed(f"cannot record {len(self._waiting)} alert transition(s): {err}; kept "
                         "in memory and retried until written")
            raise StoreError(f"alerts.db: {len(self._waiting)} alert transition(s) not recorded "
                             f"yet: {err}", retryable=True) from err
        self._waiting = []
        self._healed()

    def _put(self, tx: sqlite3.Connection, alert: Alert, now: float) -> None:
        if alert.state is AlertState.PENDING:
            return
        if alert.state is AlertState.RESOLVED and alert.fingerprint not in self.state.alerts:
            return  # never recorded firing: nobody can have been told
        self.state.put_alert(tx, alert)
        self._place(tx, alert, now)

    def _flush_logged(self, now: float) -> int:
        """``flush``; a write that fails leaves the decision undone (memory is re-read from the
        file) and it is taken again at the next tick."""
        try:
            queued = self.flush(now)
        except sqlite3.Error as err:
            self._failed(f"cannot queue messages: {err}; retried every tick")
            return 0
        if not self._waiting:
            self._healed()
        return queued

    def _failed(self, what: str) -> None:
        """A write failed: memory is read back from the file; said once until writes work."""
        self._resync()
        if not self._failing:
            log.error("alerts.db: %s", what)
        self._failing = True

    def _healed(self) -> None:
        if self._failing:
            log.warning("alerts.db: writable again; nothing decided was lost")
        self._failing = False

    def _resync(self) -> None:
        """After a failed write memory may be ahead of the file (an entry saying "told" for a
        message that was never queued): the file is the truth, memory is read back from it."""
        try:
            self.state = State(self.db)
        except sqlite3.Error:
            return  # cannot even read: keep memory, the next write attempt tells
        self._rebuild_groups(None)

    def _place(self, tx: sqlite3.Connection | None, alert: Alert, now: float) -> None:
        labels = alert_labels(alert)
        for route in match(self.routes, labels):
            key, shown = route.group_key(labels)
            group = self.state.groups.get(key)
            if group is None:
                group = Group(key=key, labels=shown, created=now)
                if tx is None:  # memory only: the group is written when it is first told
                    self.state.groups[key] = group
                else:
                    self.state.put_group(tx, group)
            group.labels = shown
            group.members.add(alert.fingerprint)

    # --- deciding --------------------------------------------------------------------------

    def flush(self, now: float) -> int:
        """Tell every group whose time has come, escalate, send repair notices; count messages."""
        alerts = self.state.alerts
        muted = mute.muted(alerts.values(), now, rules=self.inhibit_rules,
                           down_rule=self.settings.down_rule, parents=self.parents,
                           silences=self.silences.active(now), windows=self.windows,
                           settling=self.recovered.within(now, self.settings.parent_grace),
                           record_only={k for k, v in self.settings.levels.items() if v.record_only})
        self._muted = mute.log_changes(self._muted, muted, alerts)
        acks = self.acks.all()
        queued = 0
        live = {(r.index, r.spec.receiver) for r in self.routes}
        for group in list(self.state.groups.values()):
            spec = self.routes[group.route].spec if group.route < len(self.routes) else None
            if spec is None or spec.receiver != group.receiver:
                spec = Route(receiver=group.receiver, group_wait=0, group_interval=0)
            if not flush_due(group, now, wait=spec.group_wait, interval=spec.group_interval):
                continue
            members = [alerts[f] for f in group.members if f in alerts]
            firing_all = {a.fingerprint for a in members if a.state is AlertState.FIRING}
            firing = firing_all - muted.keys()
            if (group.route, group.receiver) not in live:
                firing = set()  # a route that is gone only tells resolves
            entry = self.state.nflog.get(group.key)
            told = entry.firing if entry else frozenset()
            resolved = {a.fingerprint for a in members if a.state is AlertState.RESOLVED} & told
            unacked = {f for f in firing if not is_acked(alerts[f], acks)}
            if dedup.needs_update(entry, firing=firing, resolved=resolved, unacked=unacked, now=now,
                                  repeat=spec.repeat_interval):
                after = dedup.told_after(entry, firing=firing, still_firing=firing_all)
                nth = dedup.reminder(entry, firing=firing, resolved=resolved)
                queued += self._tell(group, firing, resolved, dedup.Entry(after, now, max(nth, 1)), now)
                told = after
            group.members = {f for f in group.members if f in firing_all or f in told}
            if not group.members:
                with self.db.transaction() as tx:
                    self.state.drop_group(tx, group)
        context = self._followup_context()
        queued += followup.escalate(context, muted, acks, now)
        queued += followup.repair_notices(context, muted, now)
        self._forget_finished()
        return queued

    def _tell(self, group: Group, firing: set[str], resolved: set[str], entry: dedup.Entry,
              now: float) -> int:
        alerts = self.state.alerts
        rec = self.receiver(group.receiver)
        fire = sorted((alerts[f] for f in firing), key=lambda a: (-a.severity.rank, a.active_at))
        done = sorted((alerts[f] for f in resolved), key=lambda a: a.resolved_at or 0.0)
        title, body = self.renderer.render(form=rec.format, lang=rec.lang or self.lang,
                                           firing=fire, resolved=done,
                                           extra={"reminder": entry.sent} if entry.sent > 1 else None)
        targets = self.notifier.targets_of(group.receiver)
        params = params_of(fire, done)
        with self.db.transaction() as tx:
            for target in targets:
                Outbox.put(tx, target=target, fingerprint=str(group.key), state=state_of(fire),
                           title=title, body=body, now=now, params=params)
            self.state.log(tx, group, entry)
            group.last_flush = now
            self.state.put_group(tx, group)
        log.info("group=%s receiver=%s firing=%d resolved=%d queued", group.key, group.receiver,
                 len(fire), len(done))
        return len(targets)

    def _followup_context(self) -> followup.Context:
        return followup.Context(state=self.state, outbox=self.outbox, settings=self.settings,
                                policies=self.policies, renderer=self.renderer, notifier=self.notifier,
                                receiver=self.receiver, lang=self.lang)

    def _forget_finished(self) -> None:
        members = set().union(*(g.members for g in self.state.groups.values()))
        escalated = followup.escalated_firing(self._followup_context())
        gone = [f for f, a in self.state.alerts.items()
                if a.state is AlertState.RESOLVED and f not in members and f not in escalated]
        if gone:
            with self.db.transaction() as tx:
                for f in gone:
                    self.state.drop_alert(tx, f)

    # --- delivering ------------------------------------------------------------------------

    async def deliver(self, now: float) -> int:
        """Flush what is due, then try every due message once; return how many were accepted."""
        async with self._lock:
            with contextlib.suppress(StoreError):  # said by _record; kept for the next tick
                self._record(now)
            self._flush_logged(now)
            return await self.delivery.run(now)
