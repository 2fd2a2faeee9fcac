"""`LangflowAPIRunner`: runs flows on a Langflow server through its run API."""

from __future__ import annotations

from typing import Any

import httpx

from marketing_intel.config import Settings
from marketing_intel.jobs.errors import BadJobError, FlowRunError
from marketing_intel.jobs.flows import FlowCatalog
from marketing_intel.jobs.models import FlowRunJob
from marketing_intel.jobs.runners import FlowOutput


class LangflowAPIRunner:
    """Runs flows on a Langflow server: `POST /api/v1/run/{endpoint_name}` with tweaks."""

    def __init__(self, settings: Settings, catalog: FlowCatalog) -> None:
        assert settings.flows.langflow_api_key
        self.catalog = catalog
        self.client = httpx.AsyncClient(
            base_url=settings.flows.langflow_url.rstrip("/"),
            headers={"x-api-key": settings.flows.langflow_api_key.get_secret_value()},
            timeout=httpx.Timeout(settings.flows.langflow_timeout_s, connect=10.0),
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
