"""Prometheus metrics of one bridge app (its own registry: several apps may share a process)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from marketing_intel.bridge import BridgeError
from marketing_intel.bridge.inbox import Inbox


class InboxCollector(Collector):
    """Inbox depth, dead letters and flush lag, read from the database at scrape time."""

    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The inbox gauges; none when the database is unreachable (the scrape still answers)."""
        try:
            status = self._inbox.status(count_flushed=False)
        except BridgeError:
            return
        yield GaugeMetricFamily(
            "mi_bridge_inbox_pending", "Inbox events not yet in the lake.", value=status.pending
        )
        yield GaugeMetricFamily(
            "mi_bridge_inbox_dead", "Dead-lettered inbox events (see mi inbox).", value=status.dead
        )
        yield GaugeMetricFamily(
            "mi_bridge_flush_lag_seconds",
            "Age of the oldest inbox event not yet in the lake.",
            value=status.lag_seconds(),
        )


class BridgeMetrics:
    """The counters the app updates and the registry /metrics serves."""

    def __init__(self, inbox: Inbox) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "mi_bridge_requests",
            "HTTP requests by route group and status code.",
            ["route", "status"],
            registry=self.registry,
        )
        self.rejections = Counter(
            "mi_bridge_webhook_rejections",
            "Webhooks that failed verification, by platform and reason.",
            ["platform", "reason"],
            registry=self.registry,
        )
        self.accepted_events = Counter(
            "mi_bridge_webhook_events",
            "Webhook events committed to the inbox (duplicates included), by platform.",
            ["platform"],
            registry=self.registry,
        )
        self.flushed = Counter(
            "mi_bridge_flushed_events",
            "Inbox events written to the lake by this process.",
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            "mi_bridge_dead_lettered_events",
            "Inbox events this process dead-lettered.",
            registry=self.registry,
        )
        self.flow_runs = Counter(
            "mi_bridge_flow_runs_triggered",
            "POST /v1/flows/{name}/runs by flow and outcome (accepted, unknown_flow, "
            "invalid_window, queue_unavailable, ...).",
            ["flow", "outcome"],
            registry=self.registry,
        )
        self.insight_reads = Counter(
            "mi_bridge_insight_reads",
            "GET /v1/insights/{template} by template and outcome (hit, miss, computed).",
            ["template", "outcome"],
            registry=self.registry,
        )
        self.registry.register(InboxCollector(inbox))
