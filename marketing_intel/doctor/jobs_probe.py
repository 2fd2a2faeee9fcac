"""Agent jobs: the flow-runs queue on Redis with BullMQ (production), or the in-process queue.

Read with the plain Redis client (BullMQ's keys are plain Redis types): PING, the server's
version, whether the queue's keys exist, and the newest event of the queue's event stream,
whose id is its time in milliseconds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from marketing_intel.config import Settings
from marketing_intel.doctor.report import LayerReport, SecretSource
from marketing_intel.doctor.secret_sources import secret_source, server_location

ISOLATION = (
    "each job names its tenant, checked when it is enqueued; the bridge shows a tenant's key "
    "only that tenant's runs"
)


def describe(settings: Settings) -> LayerReport:
    """What the settings configure for the flow-runs queue."""
    secrets = []
    if settings.flows.on_langflow:
        secrets.append(secret_source("MI_LANGFLOW_API_KEY"))
    if settings.jobs.redis_url is None:
        return LayerReport(
            layer="jobs",
            engine="in-process queue",
            production=False,
            location="the memory of the process that enqueues (the bridge runs its jobs itself)",
            reachable=True,
            schema_version="none (nothing stored)",
            tenant_isolation=ISOLATION,
            isolation_in_force=True,
            secrets=secrets or [SecretSource(setting="(none)", source="not needed")],
            last_write_note="not kept: jobs live only as long as their process",
        )
    return LayerReport(
        layer="jobs",
        engine="Redis (BullMQ)",
        production=True,
        location=f"{server_location(settings.jobs.redis_url.get_secret_value(), 6379)}, queue "
        f"{settings.jobs.prefix}:{settings.jobs.queue}",
        tenant_isolation=f"{ISOLATION}; MI_REDIS_URL's user can read every tenant's jobs",
        isolation_in_force=True,
        secrets=[secret_source("MI_REDIS_URL"), *secrets],
    )


def needs(settings: Settings) -> tuple[str, ...]:
    """The modules the check of the configured queue imports (none for the in-process one)."""
    return ("redis",) if settings.jobs.redis_url is not None else ()


def check(settings: Settings, report: LayerReport, timeout_s: float) -> None:
    """Reach Redis and fill in the report (nothing to reach for the in-process queue)."""
    if settings.jobs.redis_url is None:
        return
    import redis

    queue = f"{settings.jobs.prefix}:{settings.jobs.queue}"
    try:
        client = redis.Redis.from_url(
            settings.jobs.redis_url.get_secret_value(),
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
        )
    except ValueError as error:
        report.fail(
            f"MI_REDIS_URL is not a Redis URL ({error}); write redis://[:password@]host:6379/0."
        )
        return
    try:
        client.ping()
        report.reachable = True
        # The sync client's answers are typed as maybe-awaitable: cast to what they are.
        server = cast(dict[str, Any], client.info("server"))
        report.engine = f"Redis {server['redis_version']} (BullMQ)"
        created = client.exists(f"{queue}:meta")
        report.schema_version = "queue keys present" if created else "not created yet"
        report.details["failed jobs"] = cast(int, client.zcard(f"{queue}:failed"))
        newest = cast(list[tuple[bytes, Any]], client.xrevrange(f"{queue}:events", count=1))
    except redis.AuthenticationError as error:
        report.reachable = True
        report.fail(f"Redis refused the credentials ({error}); check MI_REDIS_URL's password.")
        return
    except redis.RedisError as error:
        report.reachable = False
        report.fail(
            f"Redis at {report.location} could not be reached ({error}); check that it is "
            "running and MI_REDIS_URL is right."
        )
        return
    finally:
        client.close()
    if not created:
        report.last_write_note = "no job enqueued yet; the first run or `mi jobs enqueue` adds it"
        return
    report.last_write = _stream_time(newest[0][0]) if newest else None
    report.last_write_note = "newest queue event" if newest else "no queue events kept"


def _stream_time(entry_id: bytes | str) -> dt.datetime:
    """A Redis stream entry id is `<milliseconds>-<sequence>`."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return dt.datetime.fromtimestamp(int(text.split("-")[0]) / 1000, dt.UTC)
