"""Flow triggers and insight reads of the bridge, for a tenant's API key.

`POST /v1/flows/{name}/runs` puts a run on the jobs' `flow-runs` queue (BullMQ on Redis, or the
in-process queue whose worker runs inside the bridge) and answers 202 with the run id; `GET
/v1/flows/{name}/runs/{run_id}` reports its state and result. `GET /v1/insights/{template}` reads
the insight cache with the key a flow run stores under and says how fresh the report is.

Run ids are `<tenant>.<idempotency key>`: tenants' keys never collide, and a run of another
tenant answers 404 like a run that does not exist.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError

from bridge_api.auth import TenantId
from bridge_api.errors import ApiError, error_response
from bridge_api.metrics import BridgeMetrics
from bridge_api.schemas import ErrorBody, FlowRunAccepted, FlowRunIn, FlowRunOut, InsightOut
from marketing_intel.analysis import TEMPLATES, Window
from marketing_intel.analysis.cached import CachedReport, cached_report, stored_report
from marketing_intel.analysis_templates import RegistryView
from marketing_intel.bridge import Bridge
from marketing_intel.cache import CacheError, shared_cache
from marketing_intel.errors import validation_problems
from marketing_intel.holidays import MarketError, parse_markets
from marketing_intel.jobs import (
    BadJobError,
    FlowRunQueue,
    FlowRunRequest,
    IdempotencyConflictError,
    JobStatus,
)
from marketing_intel.jobs.flows import FlowCatalog
from marketing_intel.report_page import report_html

_log = logging.getLogger(__name__)

# How long an enqueue or status read may wait for the queue before the caller gets a 503.
QUEUE_TIMEOUT_S = 10.0
# Window fields of the template nodes, set through the run's `parameters.inputs`.
WINDOW_INPUTS = ("days", "start_date", "end_date")
# The exported flow that runs each template (flows/*.json), from the templates' specs.
TEMPLATE_FLOWS: RegistryView[str, str] = RegistryView(
    lambda specs: {name: spec.flow.endpoint for name, spec in specs.items()}
)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        401: "Missing or wrong API key.",
        403: "An operator key: runs and insights need a tenant's key.",
        404: "No such flow, run or template (a run of another tenant is not found either).",
        422: "A bad window or parameters; the message says which.",
        503: "The queue, lake or cache is unreachable; retry after Retry-After seconds.",
    }.items()
}


def flow_run_routes(
    app: FastAPI, bridge: Bridge, queue: FlowRunQueue, metrics: BridgeMetrics
) -> None:
    """Add the trigger and status routes."""
    catalog = FlowCatalog.from_folder(bridge.settings.flows.path)
    remote_flows = bridge.settings.flows.on_langflow

    @app.post(
        "/v1/flows/{name}/runs",
        status_code=202,
        response_model=FlowRunAccepted,
        responses={**_RESPONSES, 409: {"model": ErrorBody}},
        tags=["flows"],
    )
    async def start_run(name: str, run: FlowRunIn, tenant_id: TenantId) -> FlowRunAccepted:
        """Queue a run of the flow `name` for the API key's tenant; 202 with its run id.

        The same `idempotency_key` again returns the same run (409 if it asked for another).
        """
        try:
            request = _run_request(catalog, remote_flows, name, run, tenant_id)
        except ApiError as error:
            metrics.flow_runs.labels(_flow_label(catalog, name), error.code).inc()
            raise
        try:
            status = await _queued(queue.enqueue(request))
        except IdempotencyConflictError as error:
            metrics.flow_runs.labels(name, "conflict").inc()
            raise ApiError(409, "idempotency_conflict", str(error)) from None
        except ApiError:
            metrics.flow_runs.labels(name, "queue_unavailable").inc()
            raise
        metrics.flow_runs.labels(name, "accepted").inc()
        return FlowRunAccepted(
            run_id=status.id,
            flow=name,
            state=status.state,
            status_url=f"/v1/flows/{name}/runs/{status.id}",
        )

    @app.get(
        "/v1/flows/{name}/runs/{run_id}",
        response_model=FlowRunOut,
        responses=_RESPONSES,
        tags=["flows"],
    )
    async def run_status(name: str, run_id: str, tenant_id: TenantId) -> FlowRunOut:
        """The run's state, tries and failure reason; once completed, its result."""
        status = await _queued(queue.status(run_id))
        if status is None or status.tenant_id != tenant_id or status.flow != name:
            raise ApiError(
                404, "unknown_run", f"No run {run_id!r} of flow {name!r} for this API key's tenant."
            )
        return _run_out(status)


def _run_request(
    catalog: FlowCatalog, remote_flows: bool, name: str, run: FlowRunIn, tenant_id: str
) -> FlowRunRequest:
    """The queue request of `run`, checked against the flow as far as it can be here."""
    inputs = {**run.parameters.inputs, **_window_inputs(run, tenant_id)}
    key = run.idempotency_key or uuid.uuid4().hex
    try:
        request = FlowRunRequest(
            flow=name,
            tenant_id=tenant_id,
            parameters=run.parameters.model_copy(update={"inputs": inputs}),
            idempotency_key=f"{tenant_id}.{key}",
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ApiError(422, "invalid_request", problems) from None
    try:
        catalog.get(name).tweaks_for(request.job())
    except BadJobError as error:
        if error.reason != "unknown_flow":
            raise ApiError(422, error.reason, str(error)) from None
        # A flow only the Langflow server knows is found (or not) when the worker runs it.
        if not remote_flows:
            raise ApiError(404, "unknown_flow", str(error)) from None
    return request


def _window_inputs(run: FlowRunIn, tenant_id: str) -> dict[str, Any]:
    """The template nodes' window fields for `run.window` (none: the flow's own window)."""
    if run.window is None:
        return {}
    given = [name for name in WINDOW_INPUTS if name in run.parameters.inputs]
    if given:
        raise ApiError(
            422,
            "invalid_window",
            f"Give the window once: in `window`, or as parameters.inputs {given}, not both.",
        )
    window = _window(run.window.days, run.window.start, run.window.end)
    if run.window.days is not None and not (run.window.start or run.window.end):
        return {"days": window.days}
    return {"start_date": window.start.isoformat(), "end_date": window.end.isoformat()}


def _window(days: int | None, start: str | None, end: str | None) -> Window:
    """The window asked for (default: 28 days), or a 422 saying what is wrong with it."""
    if days is not None and (start or end):
        raise ApiError(422, "invalid_window", "Give `days` or `start` and `end`, not both.")
    try:
        return Window.from_inputs(
            days=days, start=start, end=end, today=dt.datetime.now(dt.UTC).date()
        )
    except (ValueError, ValidationError) as error:
        message = validation_problems(error) if isinstance(error, ValidationError) else str(error)
        raise ApiError(422, "invalid_window", f"Bad window: {message}.") from None


async def _queued(call: Any) -> Any:
    """The queue call's answer; an unreachable queue is a 503 (our failure, never a 4xx)."""
    try:
        return await asyncio.wait_for(call, QUEUE_TIMEOUT_S)
    except IdempotencyConflictError:
        raise
    except Exception as error:  # redis, socket or BullMQ errors, in whatever type they come
        _log.warning("The flow-runs queue failed: %r", error)
        raise ApiError(
            503,
            "queue_unavailable",
            "The flow-runs queue is unreachable (check Redis at MI_REDIS_URL); retry later.",
        ) from None


def _flow_label(catalog: FlowCatalog, name: str) -> str:
    """The flow's name as a metric label; names that are no flow share one label."""
    try:
        return catalog.get(name).endpoint_name
    except BadJobError:
        return "(unknown)"


def _run_out(status: JobStatus) -> FlowRunOut:
    summary = status.result.summary if status.result else {}
    window = summary.get("window")
    report_url = None
    if summary.get("template") in TEMPLATES and isinstance(window, dict):
        query = urlencode({"start": window.get("start"), "end": window.get("end")})
        report_url = f"/v1/insights/{summary['template']}?{query}"
    return FlowRunOut(
        run_id=status.id,
        flow=status.flow or "",
        state=status.state,
        attempts_made=status.attempts_made,
        failed_reason=status.failed_reason,
        created_at=status.created_at,
        finished_at=status.finished_at,
        result=status.result,
        report_url=report_url,
    )


def insight_routes(app: FastAPI, bridge: Bridge, metrics: BridgeMetrics) -> None:
    """Add `GET /v1/insights/{template}` (JSON, or with `format=html` the report's page)."""

    @app.get(
        "/v1/insights/{template}",
        response_model=InsightOut,
        responses={
            **_RESPONSES,
            200: {"content": {"text/html": {}}, "description": "The report (JSON or a page)."},
        },
        tags=["insights"],
    )
    async def read_insight(
        template: str,
        tenant_id: TenantId,
        days: Annotated[int | None, Query(ge=1, le=3660, examples=[28])] = None,
        start: Annotated[str | None, Query(description="YYYY-MM-DD, with end.")] = None,
        end: Annotated[str | None, Query(description="YYYY-MM-DD, inclusive.")] = None,
        markets: Annotated[
            str | None,
            Query(
                description="The markets the report is for, as the run's `markets` option "
                "(e.g. US,GB-SCT); default MI_MARKETS, '' for none.",
            ),
        ] = None,
        compute: Annotated[
            bool, Query(description="On a miss, compute the report now (and cache it).")
        ] = False,
        response_format: Annotated[
            Literal["json", "html"],
            Query(
                alias="format",
                description="html: the report as one self-contained page, charts included.",
            ),
        ] = "json",
    ) -> JSONResponse | HTMLResponse:
        """The cached report of `template` for the key's tenant and window, with its freshness.

        A miss is a 404 saying how to get one, unless `compute=true`. With `format=html` the
        answer is the report's page (as `mi analyze --html` writes it); errors stay JSON.
        """
        if template not in TEMPLATES:
            raise ApiError(
                404,
                "unknown_template",
                f"No template {template!r}; the templates are {', '.join(TEMPLATES)}.",
            )
        window = _window(days, start, end)
        options = _market_options(markets)
        found = await asyncio.to_thread(
            _read_report, bridge, template, tenant_id, window, options, compute
        )
        if found is None:
            metrics.insight_reads.labels(template, "miss").inc()
            return error_response(404, "not_cached", _miss_message(template, window, options))
        metrics.insight_reads.labels(template, "hit" if found.hit else "computed").inc()
        if response_format == "html":
            page = await asyncio.to_thread(report_html, found.report)  # drawing takes CPU time
            return HTMLResponse(page)
        return JSONResponse(_insight_out(template, found).model_dump(mode="json"))


def _market_options(markets: str | None) -> dict[str, Any]:
    """The template options of a read's `markets` (none given: the setting's), or a 422."""
    if markets is None:
        return {}
    try:
        return {"markets": [market.code for market in parse_markets(markets)]}
    except MarketError as error:
        raise ApiError(422, "invalid_markets", str(error)) from None


def _read_report(
    bridge: Bridge,
    template: str,
    tenant_id: str,
    window: Window,
    options: dict[str, Any],
    compute: bool,
) -> CachedReport | None:
    """The fresh cached report, else (when asked) one computed now through the cache."""
    now = dt.datetime.now(dt.UTC)
    lake = bridge.lake
    try:
        cache = shared_cache(bridge.settings)
        found = stored_report(cache, template, lake, tenant_id, window, options, now=now)
        if found is not None or not compute:
            return found
        return cached_report(cache, template, lake, tenant_id, window, options, now=now)
    except CacheError as error:
        _log.warning("The insight cache failed: %s", error)  # the detail may name its file
        raise ApiError(
            503, "cache_unavailable", "The insight cache is unreachable; retry later."
        ) from None


def _insight_out(template: str, found: CachedReport) -> InsightOut:
    now = dt.datetime.now(dt.UTC)
    age = (now - found.stored_at).total_seconds() if found.stored_at else None
    return InsightOut(
        template=template,
        source="cache" if found.hit else "computed",
        stored_at=found.stored_at,
        age_seconds=age,
        expires_at=found.expires_at,
        data_watermark=found.report.data_watermark,
        report=found.report.model_dump(mode="json"),
    )


def _miss_message(template: str, window: Window, options: dict[str, Any]) -> str:
    flow = TEMPLATE_FLOWS.get(template, template)
    run: dict[str, Any] = {"window": {"start": str(window.start), "end": str(window.end)}}
    if options:
        run["parameters"] = {"inputs": {"options": options}}
    return (
        f"No fresh {template} report is cached for {window.start}..{window.end} (none was "
        "computed yet, it expired, or newer data landed). Start one with "
        f"POST /v1/flows/{flow}/runs {json.dumps(run)}, or ask again with compute=true."
    )


__all__ = ["flow_run_routes", "insight_routes"]
