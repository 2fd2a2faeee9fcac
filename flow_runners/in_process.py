"""`LfxRunner`: runs flow JSONs in this process with lfx (the embedded default).

lfx's own entry point (`aload_flow_from_json`) re-reads its logging set-up, deep-copies the flow
twice and compiles every node's embedded source on every run. Here each flow version is
prepared once (its code fields joined, as lfx's import does), each run builds its graph from
that with `Graph.from_payload(..., instantiate_components=False)`, applies the job's tweaks with
lfx's post-construction counterpart `process_tweaks_on_graph` (the same refusals), and then
gives every node an instance of a class of its own from `NodeClassCache` (compiled once per
source, a fresh class per run) before lfx runs the graph as usual.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from flow_runners.node_classes import NodeClassCache
from marketing_intel.jobs.errors import BadJobError, FlowRunError
from marketing_intel.jobs.flows import Flow, FlowCatalog
from marketing_intel.jobs.models import FlowRunJob
from marketing_intel.jobs.runners import FlowOutput

_LOADING = threading.Lock()


class LfxRunner:
    """Runs flow JSONs in this process with lfx (the embedded default).

    Each run gets a thread of its own, so a flow's blocking work (lake queries, statistics)
    does not stall the worker's event loop, which renews the job locks."""

    def __init__(self, catalog: FlowCatalog, classes: NodeClassCache | None = None) -> None:
        self.catalog = catalog
        self.classes = classes or NodeClassCache()
        self._prepared: dict[str, tuple[Flow, dict[str, Any]]] = {}
        self.preparations = 0  # how many flow versions were prepared (a changed file adds one)

    async def run(self, job: FlowRunJob) -> FlowOutput:
        """Load the flow by endpoint name and run it with the job's tweaks."""
        flow = self.catalog.get(job.flow)
        tweaks = flow.tweaks_for(job)
        input_value = job.parameters.input_value or job.tenant_id
        run = _Run(flow, self._graph_data(flow), input_value, tweaks, self.classes)
        return await asyncio.to_thread(run.in_own_loop)

    def _graph_data(self, flow: Flow) -> dict[str, Any]:
        """The flow's graph as lfx builds it, prepared once per version of its file (the
        catalog gives a new `Flow` when the file changes)."""
        prepared = self._prepared.get(flow.endpoint_name)
        if prepared is None or prepared[0] is not flow:
            from lfx.utils.flow_code import normalize_code_for_import

            prepared = (flow, normalize_code_for_import(flow.tenant_payload)["data"])
            self._prepared[flow.endpoint_name] = prepared
            self.preparations += 1
        return prepared[1]

    async def aclose(self) -> None:
        """Nothing to release."""


class _Run:
    """One run of a flow: its graph built, tweaked and instantiated, then run by lfx."""

    def __init__(
        self,
        flow: Flow,
        graph_data: dict[str, Any],
        input_value: str,
        tweaks: dict[str, dict[str, Any]],
        classes: NodeClassCache,
    ) -> None:
        self.flow = flow
        self.graph_data = graph_data
        self.input_value = input_value
        self.tweaks = tweaks
        self.classes = classes

    def in_own_loop(self) -> FlowOutput:
        """Run in this thread's own event loop."""
        return asyncio.run(self.run())

    async def run(self) -> FlowOutput:
        """Build and run the graph; lfx's failures as our `BadJobError` / `FlowRunError`."""
        from lfx.exceptions.tweaks import TweakRefusedError
        from lfx.processing.process import run_graph
        from lfx.utils.flow_validation import ensure_component_hash_lookups_loaded

        try:
            await ensure_component_hash_lookups_loaded()
            # Building reads flow code with `ast`, which CPython 3.11 does not make safe across
            # threads (gh-106905): one build at a time; the runs themselves overlap.
            with _LOADING:
                graph = self._graph()
            runs = await run_graph(graph, self.input_value, "chat", "chat")
        except TweakRefusedError as error:
            raise BadJobError(
                f"parameters refused by the flow: {error}", reason="bad_parameters"
            ) from None
        except Exception as error:  # a node's failure, in whatever type its library raises
            raise FlowRunError(f"flow {self.flow.endpoint_name!r} failed: {error}") from error
        output = FlowOutput()
        for run in runs:
            for result in run.outputs if run else []:
                for value in (result.results or {}).values() if result else []:
                    output.add(value)
        return output

    def _graph(self) -> Any:
        from lfx.graph.graph.base import Graph
        from lfx.processing.process import process_tweaks_on_graph

        # `from_payload` deep-copies the data first, so the prepared flow stays as it is.
        graph = Graph.from_payload(self.graph_data, instantiate_components=False)
        process_tweaks_on_graph(graph, self._with_stream_off(graph))
        for vertex in graph.vertices:
            vertex.custom_component = self._instantiate(vertex)
        return graph

    def _with_stream_off(self, graph: Any) -> dict[str, dict[str, Any]]:
        """The job's tweaks plus `stream: False` on every node that streams, as lfx's loader
        sets it: a worker collects whole outputs."""
        tweaks = {node_id: dict(values) for node_id, values in self.tweaks.items()}
        for vertex in graph.vertices:
            if "stream" in vertex.data.get("node", {}).get("template", {}):
                tweaks.setdefault(vertex.id, {}).setdefault("stream", False)
        return tweaks

    def _instantiate(self, vertex: Any) -> Any:
        """What lfx's `instantiate_class` does, with the class from the cache."""
        from lfx.interface.initialize.loading import _component_class_name, get_params
        from lfx.utils.flow_validation import resolve_trusted_code_for_build

        parameters = get_params(vertex.params)
        code = resolve_trusted_code_for_build(parameters.pop("code"))
        node_class = self.classes.fresh_class(code, _component_class_name(vertex))
        component = node_class(
            _user_id=None,
            _parameters=parameters,
            _vertex=vertex,
            _tracing_service=None,
            _id=vertex.id,
        )
        if hasattr(component, "set_event_manager"):
            component.set_event_manager(None)
        return component
