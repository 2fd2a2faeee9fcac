"""`LfxRunner`: runs flow JSONs in this process with lfx (the embedded default).

lfx's own entry point (`aload_flow_from_json`) re-reads its logging set-up, deep-copies the flow
twice and compiles every node's embedded source on every run. Here each flow version is
prepared once: its code fields joined (as lfx's import does) and its graph built with
`Graph.from_payload(..., instantiate_components=False)` into `GraphCopies`. Each run takes a
copy of that graph, applies the job's tweaks with lfx's post-construction counterpart
`process_tweaks_on_graph` (the same refusals), and then gives every node an instance of a class
of its own from `NodeClassCache` (compiled once per source, a fresh class per run) before lfx
runs the graph as usual.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from typing import Any

from flow_runners.graph_copies import GraphCopies
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
        self._prepared: dict[str, tuple[Flow, GraphCopies]] = {}
        self.preparations = 0  # how many flow versions were prepared (a changed file adds one)

    async def run(self, job: FlowRunJob) -> FlowOutput:
        """Load the flow by endpoint name and run it with the job's tweaks."""
        flow = self.catalog.get(job.flow)
        tweaks = flow.tweaks_for(job)
        input_value = job.parameters.input_value or job.tenant_id
        run = _Run(flow, functools.partial(self._graphs, flow), input_value, tweaks, self.classes)
        return await asyncio.to_thread(run.in_own_loop)

    def _graphs(self, flow: Flow) -> GraphCopies:
        """The flow's graph as lfx builds it, prepared once per version of its file (the
        catalog reads a changed file again). Called in a run's thread, under
        `_LOADING`: the first preparation imports and reads lfx's tables, seconds that must not
        stall the worker's event loop (it renews the job locks)."""
        prepared = self._prepared.get(flow.endpoint_name)
        # By file and version, not by object: a rescan after another file changed re-reads
        # this one too, unchanged.
        if prepared is None or (prepared[0].path, prepared[0].version) != (flow.path, flow.version):
            prepared = (flow, _built(_prepare(flow.tenant_payload)))
            self._prepared[flow.endpoint_name] = prepared
            self.preparations += 1
        return prepared[1]

    async def aclose(self) -> None:
        """Nothing to release."""


def _prepare(payload: dict[str, Any]) -> dict[str, Any]:
    """The graph data `from_payload` reads, with what it would redo on every run done once.

    lfx's extension migration (`migrate_flow_payload`, run by every `from_payload`) looks each
    node type up in its migration table; a type it has never shipped (ours: the bundle's nodes
    and the tests') is "unmapped", and lfx then ranks every known name by similarity (difflib)
    for a hint it logs as a warning: 20 ms of a 55 ms cache hit of campaign-insights. Run once
    here, its verdict is written down the way lfx names an extension's node, in the canonical
    `ext:<bundle>:<Class>@official` form, which the migration leaves as it is and from which
    lfx's `instantiate_class` takes the class name as from the bare one."""
    from lfx.extension.migration.rewrite import migrate_flow_payload
    from lfx.utils.flow_code import normalize_code_for_import

    data: dict[str, Any] = normalize_code_for_import(payload)["data"]
    report = migrate_flow_payload(data)
    unmapped = {record.node_id for record in report.records if record.outcome == "unmapped"}
    for node in data.get("nodes", []):
        if node.get("id") in unmapped:
            node["data"]["type"] = f"ext:{BUNDLE}:{node['data']['type']}@official"
    return data


def _built(graph_data: dict[str, Any]) -> GraphCopies:
    """The graph lfx builds from `graph_data`, components not instantiated, to copy per run."""
    from lfx.graph.graph.base import Graph

    return GraphCopies(Graph.from_payload(graph_data, instantiate_components=False))


# The bundle named in the canonical type of a node lfx does not know (see `_prepare`): the
# worker runs this package's flows, whose nodes are this bundle's.
BUNDLE = "marketing_intel"
# What a built Chat Output shows for its build log: lfx renders every output's artifacts to YAML
# for a log (`log_vertex_build`) that lfx without Langflow's database discards, and the worker
# reads the outputs themselves; for an analysis report that rendering is about 15 ms a run.
UNRENDERED = "(output not rendered by the worker)"


class _Run:
    """One run of a flow: its graph built, tweaked and instantiated, then run by lfx."""

    def __init__(
        self,
        flow: Flow,
        graphs: Callable[[], GraphCopies],
        input_value: str,
        tweaks: dict[str, dict[str, Any]],
        classes: NodeClassCache,
    ) -> None:
        self.flow = flow
        self.graphs = graphs
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
                graph = self._graph(self.graphs())
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

    def _graph(self, graphs: GraphCopies) -> Any:
        from lfx.processing.process import process_tweaks_on_graph

        graph = graphs.copy()
        process_tweaks_on_graph(graph, self.tweaks)
        # The worker's own setting, not a caller's: exempt from the flow's declared fields, as
        # lfx's loader exempts the `stream` it injects.
        process_tweaks_on_graph(graph, _stream_off(graph), caller_supplied=False)
        for vertex in graph.vertices:
            vertex.custom_component = self._instantiate(vertex)
            # On this run's own vertex object only: lfx's vertex classes are left as they are.
            vertex.built_object_repr = _unrendered
        return graph

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


def _unrendered() -> str:
    return UNRENDERED


def _stream_off(graph: Any) -> dict[str, dict[str, Any]]:
    """`stream: False` for every node that can stream, as lfx's loader sets it: a worker
    collects whole outputs."""
    return {
        vertex.id: {"stream": False}
        for vertex in graph.vertices
        if "stream" in vertex.data.get("node", {}).get("template", {})
    }
