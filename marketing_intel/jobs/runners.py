"""Flow runners: a Langflow server's run API when one is configured, else lfx in process.

Both take a validated `FlowRunJob` and return a `FlowOutput`. A job that cannot run as given
(unknown flow, refused parameters) raises `BadJobError`; an outage or a failing flow raises
`FlowRunError`, which the queue retries.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from marketing_intel.config import Settings
from marketing_intel.jobs.errors import BadJobError, FlowRunError
from marketing_intel.jobs.flows import Flow, FlowCatalog
from marketing_intel.jobs.models import FlowRunJob

_LOADING = threading.Lock()


@dataclass
class FlowOutput:
    """What a run produced: the texts of its messages and the payloads of its Data outputs."""

    texts: list[str] = field(default_factory=list)
    data: list[dict[str, Any]] = field(default_factory=list)

    def add(self, value: Any) -> None:
        """Add one output value (a Message, a Data, or their JSON form from the API)."""
        if isinstance(value, dict):
            # A Message from the API carries its text and a `data` dict of its own fields: the
            # text first, as for the objects below.
            if isinstance(value.get("text"), str):
                self.texts.append(value["text"])
            elif isinstance(value.get("data"), dict):
                self.data.append(value["data"])
            elif isinstance(value.get("message"), str):
                self.texts.append(value["message"])
            return
        payload = getattr(value, "data", None)
        text = getattr(value, "text", None)
        if isinstance(text, str):
            self.texts.append(text)
        elif isinstance(payload, dict):
            self.data.append(payload)
        elif value is not None:
            self.texts.append(str(value))


class FlowRunner(Protocol):
    """Runs one job's flow."""

    async def run(self, job: FlowRunJob) -> FlowOutput:
        """Run the job's flow for its tenant; raise `BadJobError` or `FlowRunError`."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class LfxRunner:
    """Runs flow JSONs in this process with lfx (the embedded default).

    Each run gets a thread of its own, so a flow's blocking work (lake queries, statistics)
    does not stall the worker's event loop, which renews the job locks."""

    def __init__(self, catalog: FlowCatalog) -> None:
        self.catalog = catalog

    async def run(self, job: FlowRunJob) -> FlowOutput:
        """Load the flow by endpoint name and run it with the job's tweaks."""
        flow = self.catalog.get(job.flow)
        tweaks = flow.tweaks_for(job)
        input_value = job.parameters.input_value or job.tenant_id
        return await asyncio.to_thread(_run_in_own_loop, flow, input_value, tweaks)

    async def aclose(self) -> None:
        """Nothing to release."""


def _run_in_own_loop(flow: Flow, input_value: str, tweaks: dict[str, Any]) -> FlowOutput:
    return asyncio.run(_run_lfx(flow, input_value, tweaks))


async def _run_lfx(flow: Flow, input_value: str, tweaks: dict[str, Any]) -> FlowOutput:
    from lfx.exceptions.tweaks import TweakRefusedError
    from lfx.load.load import aload_flow_from_json
    from lfx.processing.process import run_graph

    try:
        # Loading compiles the nodes' code with `ast`, which CPython 3.11 does not make safe
        # across threads (gh-106905): one load at a time; the runs themselves overlap.
        with _LOADING:
            graph = await aload_flow_from_json(
                flow.tenant_payload, tweaks={**tweaks, "stream": False}
            )
        runs = await run_graph(graph, input_value, "chat", "chat")
    except TweakRefusedError as error:
        raise BadJobError(
            f"parameters refused by the flow: {error}", reason="bad_parameters"
        ) from None
    except Exception as error:  # a node's failure, in whatever type its library raises
        raise FlowRunError(f"flow {flow.endpoint_name!r} failed: {error}") from error
    output = FlowOutput()
    for run in runs:
        for result in run.outputs if run else []:
            for value in (result.results or {}).values() if result else []:
                output.add(value)
    return output


class LangflowAPIRunner:
    """Runs flows on a Langflow server: `POST /api/v1/run/{endpoint_name}` with tweaks."""

    def __init__(self, settings: Settings, catalog: FlowCatalog) -> None:
        assert settings.langflow_url
        assert settings.langflow_api_key
        self.catalog = catalog
        self.client = httpx.AsyncClient(
            base_url=settings.langflow_url.rstrip("/"),
            headers={"x-api-key": settings.langflow_api_key.get_secret_value()},
            timeout=httpx.Timeout(settings.langflow_timeout_s, connect=10.0),
        )

    async def run(self, job: FlowRunJob) -> FlowOutput:
        """Run the flow on the server; the local copy of the flow, when there is one, maps
        the job's tenant and inputs onto its nodes."""
        body = {
            "input_value": job.parameters.input_value or job.tenant_id,
            "input_type": "chat",
            "output_type": "any",
            "tweaks": self._tweaks(job),
        }
        try:
            response = await self.client.post(f"/api/v1/run/{job.flow}", json=body)
        except httpx.HTTPError as error:
            raise FlowRunError(
                f"Langflow at {self.client.base_url} did not answer: {error}"
            ) from error
        _raise_for_status(response, job.flow)
        output = FlowOutput()
        for run in response.json().get("outputs", []):
            for result in run.get("outputs", []):
                for value in (result.get("results") or {}).values():
                    output.add(value)
        return output

    def _tweaks(self, job: FlowRunJob) -> dict[str, dict[str, Any]]:
        """The job's tweaks, checked against the local copy of the flow: without one, what
        the flow lets callers set is unknown here, so a job may send its input value only."""
        try:
            return self.catalog.get(job.flow).api_tweaks(job)
        except BadJobError as error:
            if error.reason != "unknown_flow":
                raise
        if job.parameters.inputs or job.parameters.tweaks:
            raise BadJobError(
                f"parameters.inputs and parameters.tweaks need a copy of flow {job.flow!r} "
                "in the worker's MI_FLOWS_PATH, to check them against the fields the flow "
                "declares editable; add its JSON there, or send only input_value",
                reason="bad_parameters",
            )
        return {}

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.client.aclose()


def _raise_for_status(response: httpx.Response, flow: str) -> None:
    if response.is_success:
        return
    detail = response.text[:500]
    if response.status_code == 404:
        raise BadJobError(
            f"unknown flow {flow!r}: Langflow has no flow with this endpoint name",
            reason="unknown_flow",
        )
    if response.status_code in (401, 403):
        raise FlowRunError("Langflow refused the API key; check MI_LANGFLOW_API_KEY")
    if response.status_code in (400, 422):
        raise BadJobError(
            f"Langflow refused the run of {flow!r}: {detail}", reason="bad_parameters"
        )
    raise FlowRunError(f"Langflow failed to run {flow!r} ({response.status_code}): {detail}")


def open_runner(settings: Settings) -> FlowRunner:
    """The runner the settings choose: the Langflow API if `MI_LANGFLOW_URL` is set, else lfx."""
    catalog = FlowCatalog.from_folder(settings.flows_path)
    if settings.langflow_url:
        return LangflowAPIRunner(settings, catalog)
    return LfxRunner(catalog)
