"""/metrics: the daemon's own health in the Prometheus text format, from a registry of our own."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from monitor.pollstats import PollStats

# name → (help, counter?). A name with "{label=value}" splits into one family with that label.
FAMILIES: dict[str, tuple[str, bool]] = {
    "roomwatch_devices": ("Devices in the inventory.", False),
    "roomwatch_devices_down": ("Devices whose newest collection failed.", False),
    "roomwatch_store_buffered_readings": ("Readings waiting for the next SQLite commit.", False),
    "roomwatch_output_queued_points": ("Points queued for an output (InfluxDB).", False),
    "roomwatch_output_dropped_points": ("Points an output dropped since start.", True),
    "roomwatch_outbox_messages": ("Notifications waiting in the durable outbox.", False),
    "roomwatch_engine_series": ("Series the rule engine watches.", False),
    "roomwatch_engine_active_alerts": ("Pending and firing alerts in the engine.", False),
    "roomwatch_notifications_sent": ("Notifications delivered since start.", True),
    "roomwatch_notification_failures": ("Notification attempts that failed since start.", True),
}


POLL_FAMILIES = {
    "roomwatch_poll_duration_seconds": "How long collections took, per transport and device kind.",
    "roomwatch_poll_failures": "Collections that failed (timeout, refused, bad answer), per transport, kind.",
}


class _Health:
    """A prometheus_client collector over one snapshot of the daemon's health."""

    def __init__(self, values: Mapping[str, float], polls: PollStats) -> None:
        self.values = values
        self.polls = polls

    def collect(self) -> Iterator[Metric]:
        yield from self._polls()
        yield from self._values()

    def _polls(self) -> Iterator[Metric]:
        durations = HistogramMetricFamily("roomwatch_poll_duration_seconds",
                                          POLL_FAMILIES["roomwatch_poll_duration_seconds"],
                                          labels=["transport", "kind"])
        failures = CounterMetricFamily("roomwatch_poll_failures", POLL_FAMILIES["roomwatch_poll_failures"],
                                       labels=["transport", "kind"])
        for (transport, kind), series in sorted(self.polls.series.items()):
            durations.add_metric([transport, kind], series.cumulative(), series.total)
            failures.add_metric([transport, kind], series.failures)
        yield durations
        yield failures

    def _values(self) -> Iterator[Metric]:
        grouped: dict[str, list[tuple[dict[str, str], float]]] = {}
        for key, value in self.values.items():
            name, _, rest = key.partition("{")
            labels = dict(pair.split("=", 1) for pair in rest.rstrip("}").split(",") if "=" in pair)
            grouped.setdefault(name, []).append((labels, value))
        for name, samples in grouped.items():
            helptext, counter = FAMILIES.get(name, ("roomwatch internal value.", False))
            names = sorted({k for labels, _ in samples for k in labels})
            family: Metric
            if counter:
                family = CounterMetricFamily(name, helptext, labels=names)
            else:
                family = GaugeMetricFamily(name, helptext, labels=names)
            for labels, value in samples:
                family.add_metric([labels.get(k, "") for k in names], value)
            yield family


def exposition(values: Mapping[str, float], polls: PollStats) -> tuple[bytes, str]:
    """The text format of ``values`` (``name`` or ``name{label=value}`` → number) and of the
    poll statistics, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Health(values, polls))
    return generate_latest(registry), CONTENT_TYPE_LATEST
