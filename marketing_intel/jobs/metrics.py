"""Prometheus metrics of the flow-runs queue: depth by state, run durations, failures by reason.

They live in their own registry: the worker serves it on `MI_JOBS_METRICS_PORT`, and the bridge
can add it to its `/metrics` with `render()`.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

REGISTRY = CollectorRegistry(auto_describe=True)
QUEUE_DEPTH = Gauge(
    "mi_flow_run_jobs", "Jobs in the flow-runs queue by state.", ["state"], registry=REGISTRY
)
RUN_SECONDS = Histogram(
    "mi_flow_run_duration_seconds",
    "Time to run one job (flow and result writes) by flow and outcome.",
    ["flow", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
FAILURES = Counter(
    "mi_flow_run_failures_total",
    "Failed job attempts by flow and reason (bad jobs fail once; others may be retried).",
    ["flow", "reason"],
    registry=REGISTRY,
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def record_depth(counts: dict[str, int]) -> None:
    """Set the queue-depth gauge from a queue's counts by state."""
    for state, count in counts.items():
        QUEUE_DEPTH.labels(state=state).set(count)


def render() -> bytes:
    """The metrics in Prometheus' text format (serve with `CONTENT_TYPE`)."""
    return generate_latest(REGISTRY)


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Serve `/metrics` on `host:port` from a background thread."""
    start_http_server(port, addr=host, registry=REGISTRY)
