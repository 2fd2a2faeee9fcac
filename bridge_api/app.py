"""The bridge's FastAPI app: `create_app(settings)`, served by `mi bridge serve` (uvicorn).

Routes: signed platform webhooks into the inbox (group commit, acknowledged only once committed),
Meta's subscription handshake, authenticated batch ingest of campaign metrics and audience rows,
operator endpoints for the inbox, flow triggers and insight reads (`bridge_api.flow_runs`),
`/healthz`, `/readyz` and `/metrics`. The flusher runs in a background thread of the same process
unless `MI_BRIDGE_FLUSH_IN_PROCESS=false`; with no `MI_REDIS_URL` the flow runs go to an
in-process queue whose worker runs in the app's event loop.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bridge_api.auth import TenantId, api_key, bearer
from bridge_api.errors import ApiError, install_error_handlers
from bridge_api.flow_runs import flow_run_routes, insight_routes
from bridge_api.metrics import BridgeMetrics
from bridge_api.raw_route import RawRequestRoute
from bridge_api.request_guard import RequestGuard
from bridge_api.schemas import (
    Accepted,
    DeadLetterOut,
    ErrorBody,
    Health,
    InboxStatusOut,
    IngestRequest,
    IngestResult,
    ReplayRequest,
    ReplayResult,
)
from marketing_intel.bridge import Bridge, BridgeUnavailable, accept_webhook, open_bridge
from marketing_intel.bridge.flusher import FlushResult
from marketing_intel.bridge.group_commit import GroupCommitWriter
from marketing_intel.bridge.sources import ResolvedSource
from marketing_intel.config import Settings, load_settings
from marketing_intel.errors import MarketingIntelError
from marketing_intel.jobs import FlowRunQueue, open_flow_run_queue
from marketing_intel.jobs import metrics as job_metrics
from marketing_intel.jobs.worker import processor_from_settings
from marketing_intel.shared_instances import close_shared
from marketing_intel.webhooks import WebhookRejected, webhook_platform

_log = logging.getLogger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        401: "Missing or wrong signature or API key.",
        413: "Body over MI_BRIDGE_MAX_BODY_BYTES.",
        503: "The database or lake is unreachable; retry after Retry-After seconds.",
    }.items()
}

# The webhook route (a `RawRequestRoute`) declares its path parameters and body here only.
_WEBHOOK_OPENAPI = {
    "parameters": [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in ("platform", "source_id")
    ],
    "requestBody": {
        "required": True,
        "description": "The platform's webhook, byte for byte as it signed it.",
        "content": {
            "application/json": {
                "schema": {"type": "object"},
                "example": {"id": 820982911946154508, "topic": "orders/create"},
            }
        },
    },
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The bridge app for `settings` (default: the `MI_` environment)."""
    settings = settings or load_settings()
    bridge = open_bridge(settings)
    metrics = BridgeMetrics(bridge.inbox)
    writer = GroupCommitWriter(bridge.inbox.write)
    queue = open_flow_run_queue(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        _tune_garbage_collector()
        writer.start()
        stop = threading.Event()
        flusher_thread = threading.Thread(
            target=_run_flusher, args=(bridge, stop, metrics), name="flusher", daemon=True
        )
        if settings.bridge.flush_in_process:
            flusher_thread.start()
        try:
            async with _in_process_worker(queue, settings):
                yield
        finally:
            await writer.stop()
            stop.set()
            if flusher_thread.is_alive():
                await asyncio.to_thread(flusher_thread.join, 30)
            await queue.close()
            bridge.close()
            close_shared()  # the insight cache of the reads, the nodes' lakes and stores

    app = FastAPI(
        title="lfx-marketing-intel bridge",
        version="1",
        summary="Signed platform webhooks into the lake, exactly once; batch ingest.",
        lifespan=lifespan,
    )
    app.state.bridge = bridge
    install_error_handlers(app)
    app.add_middleware(RequestGuard, max_body_bytes=settings.bridge.max_body_bytes, metrics=metrics)
    _webhook_routes(app, bridge, writer, metrics)
    _ingest_routes(app, bridge)
    _admin_routes(app, bridge)
    flow_run_routes(app, bridge, queue, metrics)
    insight_routes(app, bridge, metrics)
    _health_routes(app, bridge, metrics)
    return app


@functools.cache  # once per process
def _tune_garbage_collector() -> None:
    """Keep Python's garbage collector off the acknowledgement path.

    Its full passes walked every object the imports made (about 120k: 55 ms a pass, the whole
    p99 at 64 connections), and its young passes ran every few requests. What is alive at
    start-up is frozen out of its view, and young passes wait for 20,000 new objects instead
    of 700: the bridge's throughput rose by about half in `python -m bench bridge`.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


@asynccontextmanager
async def _in_process_worker(queue: FlowRunQueue, settings: Settings) -> AsyncIterator[None]:
    """With no Redis the queue lives in this process, so its worker runs here too (on this
    event loop; each flow runs in a thread of its own). With Redis, `mi worker` runs the jobs."""
    if settings.jobs.redis_url:
        yield
        return
    processor = processor_from_settings(settings)
    stopping = asyncio.Event()
    concurrency = settings.jobs.concurrency
    worker = asyncio.create_task(
        queue.work(processor, concurrency=concurrency, stopping=stopping), name="flow-runs"
    )
    try:
        yield
    finally:
        stopping.set()
        try:
            # The running flows finish first (their threads cannot be interrupted).
            await asyncio.wait_for(worker, 300)
        except TimeoutError:
            _log.warning("Flow runs still running at shutdown were abandoned")
        await processor.aclose()


def _webhook_routes(
    app: FastAPI, bridge: Bridge, writer: GroupCommitWriter, metrics: BridgeMetrics
) -> None:
    async def receive_webhook(request: Request) -> Response:
        """Verify a platform's signed webhook and store it; 200 only once it is committed.

        A redelivery (same delivery or event id) answers 200 and is stored once.
        """
        platform = request.path_params["platform"]
        source = await _source(bridge, platform, request.path_params["source_id"])
        body = await request.body()
        try:
            entries = accept_webhook(source, request.headers, body)
        except WebhookRejected as rejected:
            metrics.rejections.labels(platform, rejected.reason).inc()
            raise
        await writer.write(entries)
        metrics.accepted_events.labels(platform).inc(len(entries))
        content = b'{"status":"accepted","events":%d}' % len(entries)
        return Response(content, media_type="application/json")

    app.router.add_api_route(
        "/v1/webhooks/{platform}/{source_id}",
        receive_webhook,
        methods=["POST"],
        route_class_override=RawRequestRoute,
        response_model=Accepted,
        responses={**_ERRORS, 400: {"model": ErrorBody}, 404: {"model": ErrorBody}},
        openapi_extra=_WEBHOOK_OPENAPI,
        tags=["webhooks"],
    )

    @app.get(
        "/v1/webhooks/{platform}/{source_id}",
        response_class=PlainTextResponse,
        responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}},
        tags=["webhooks"],
    )
    async def subscription_handshake(platform: str, source_id: str, request: Request) -> str:
        """A platform's subscription check (Meta's: echo `hub.challenge` when `hub.verify_token`
        matches); 405 for a platform without one."""
        source = await _source(bridge, platform, source_id)
        sender = webhook_platform(platform)
        if not sender.handshake:
            raise ApiError(405, "method_not_allowed", f"{platform} webhooks are POSTed only.")
        try:
            return sender.answer_handshake(request.query_params, source.secrets)
        except WebhookRejected as rejected:
            metrics.rejections.labels(platform, rejected.reason).inc()
            raise


async def _source(bridge: Bridge, platform: str, source_id: str) -> ResolvedSource:
    cached = bridge.sources.resolve_cached(platform, source_id)
    if cached is not None:
        return cached
    return await asyncio.to_thread(bridge.sources.resolve, platform, source_id)


def _ingest_routes(app: FastAPI, bridge: Bridge) -> None:
    for path, table in (
        ("/v1/ingest/campaign-metrics", "campaign_metrics"),
        ("/v1/ingest/audience-insights", "audience_insights"),
    ):
        app.post(
            path,
            response_model=IngestResult,
            responses={**_ERRORS, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}},
            tags=["ingest"],
            summary=f"Write {table} rows; a row whose key exists replaces it (restatement).",
        )(_ingest_endpoint(bridge, table))


def _ingest_endpoint(bridge: Bridge, table: str) -> Any:
    async def ingest(payload: IngestRequest, tenant_id: TenantId) -> IngestResult:
        rows = [_own_row(number, row, tenant_id) for number, row in enumerate(payload.rows, 1)]
        result = await asyncio.to_thread(bridge.lake.upsert, table, rows)
        return IngestResult(
            table=table,
            received=result.received,
            inserted=result.inserted,
            replaced=result.replaced,
        )

    ingest.__name__ = f"ingest_{table}"
    return ingest


def _own_row(number: int, row: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    """The row stamped with the key's tenant; a row naming another tenant is refused."""
    if row.get("tenant_id", tenant_id) != tenant_id:
        raise ApiError(
            403, "other_tenant", f"Row {number} names another tenant than the API key's."
        )
    return {**row, "tenant_id": tenant_id}


async def _admin_key(bridge: Bridge, credentials: HTTPAuthorizationCredentials | None) -> None:
    key = await api_key(bridge, credentials)
    if not key.is_admin:
        raise ApiError(
            403, "admin_key_required", "This needs an operator key (mi api-keys add --admin)."
        )


def _admin_routes(app: FastAPI, bridge: Bridge) -> None:
    @app.get("/v1/admin/inbox", response_model=InboxStatusOut, responses=_ERRORS, tags=["admin"])
    async def inbox_status(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> InboxStatusOut:
        """Inbox counts, flush lag and the oldest dead letters (operator key)."""
        await _admin_key(bridge, credentials)
        status = await asyncio.to_thread(bridge.inbox.status)
        dead = await asyncio.to_thread(bridge.inbox.dead_letters)
        return InboxStatusOut(
            pending=status.pending,
            flushed=status.flushed,
            dead=status.dead,
            flush_lag_seconds=status.lag_seconds(),
            dead_letters=[DeadLetterOut(**vars(letter)) for letter in dead],
        )

    @app.post(
        "/v1/admin/inbox/replay", response_model=ReplayResult, responses=_ERRORS, tags=["admin"]
    )
    async def replay(
        request: ReplayRequest,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ReplayResult:
        """Put dead letters (all, or the given ids) back in line for the flusher (operator key)."""
        await _admin_key(bridge, credentials)
        return ReplayResult(replayed=await asyncio.to_thread(bridge.inbox.replay, request.ids))


def _health_routes(app: FastAPI, bridge: Bridge, metrics: BridgeMetrics) -> None:
    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> Health:
        """Liveness: the process answers."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, responses={503: {"model": Health}}, tags=["health"])
    async def readyz() -> JSONResponse:
        """Readiness: the bridge database and the lake answer."""
        checks = {
            "database": await _check(bridge.check_database),
            "lake": await _check(lambda: bridge.lake.row_counts()),
        }
        ready = all(value == "ok" for value in checks.values())
        body = Health(status="ok" if ready else "unavailable", checks=checks)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    @app.get("/metrics", response_class=PlainTextResponse, tags=["health"])
    async def prometheus_metrics() -> Response:
        """Prometheus metrics: requests, verification failures, inbox depth, flush lag, flow
        runs triggered, insight reads, and the flow-runs queue (depth, durations, failures)."""
        text = await asyncio.to_thread(generate_latest, metrics.registry)
        return Response(text + job_metrics.render(), media_type=CONTENT_TYPE_LATEST)


async def _check(probe: Any, timeout_s: float = 5.0) -> str:
    try:
        await asyncio.wait_for(asyncio.to_thread(probe), timeout_s)
    except TimeoutError:
        return f"no answer within {timeout_s:g} s"
    except MarketingIntelError as error:
        return str(error)
    return "ok"


def _run_flusher(bridge: Bridge, stop: threading.Event, metrics: BridgeMetrics) -> None:
    """The in-process flusher; a lake that cannot be opened yet is retried."""

    def count(result: FlushResult) -> None:
        metrics.flushed.inc(result.flushed)
        metrics.dead_lettered.inc(result.dead)

    while not stop.is_set():
        try:
            bridge.flusher().run(stop, count)
        except (MarketingIntelError, BridgeUnavailable) as error:
            _log.warning("The flusher could not start (%s); retrying in 5 s", error)
            stop.wait(5)


__all__ = ["create_app"]
