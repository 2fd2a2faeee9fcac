"""`LfxRunner`: runs flow JSONs in this process with lfx (the embedded default)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from marketing_intel.jobs.errors import BadJobError, FlowRunError
from marketing_intel.jobs.flows import Flow, FlowCatalog
from marketing_intel.jobs.models import FlowRunJob
from marketing_intel.jobs.runners import FlowOutput

_LOADING = threading.Lock()


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
