"""The in-process worker's caches (tests/state_probe_component.py is the probe): node code is
compiled once per source but every run gets a class of its own, so nothing a run leaves on its
class, instance or module reaches the next run, another tenant's included; a changed node source
is compiled again; each flow file is prepared once per version. Real lfx, real Redis/BullMQ."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flow_runners import LfxRunner
from flow_runners.graph_copies import GraphCopies
from flow_runners.in_process import _prepare
from flow_runners.node_classes import NodeClassCache
from marketing_intel.jobs import FlowRunRequest
from marketing_intel.jobs.bullmq_queue import BullMQFlowRunQueue, BullMQOptions
from marketing_intel.jobs.flows import FlowCatalog
from marketing_intel.jobs.models import FlowRunJob
from marketing_intel.jobs.processing import FlowRunProcessor
from tests.jobs_flows import echo_flow, state_probe_flow
from tests.jobs_support import MACHINE_REDIS_URL, delete_prefix, unique_prefix, wait_for, working

REPO_FLOWS = Path(__file__).resolve().parents[1] / "flows"
NOTHING_LEFT = {"class": None, "instance": None, "module": [], "outputs": 1}


@pytest.fixture
def prefix(machine_redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own on the machine's Redis, deleted afterwards."""
    name = unique_prefix()
    yield name
    delete_prefix(MACHINE_REDIS_URL, name)


def probe_report(text: str) -> dict[str, Any]:
    """The probe's JSON report, without this run's own text and version."""
    report = json.loads(text)
    return {key: report[key] for key in ("class", "instance", "module", "outputs")}


def run(runner: LfxRunner, tenant: str) -> dict[str, Any]:
    """One run of the probe flow for `tenant`: the probe's whole report."""
    output = asyncio.run(runner.run(FlowRunJob(flow="state-probe", tenant_id=tenant)))
    return dict(json.loads(output.texts[0]))


def test_two_tenants_alternating_on_one_worker_find_nothing_of_each_other(
    prefix: str, tmp_path: Path
) -> None:
    """One worker (concurrency 1) on real BullMQ runs acme, globex, acme, ...: each job answers
    for its own tenant, and finds nothing an earlier run set on the node's class, instance,
    module or outputs list (lfx's shared class would show the previous tenant)."""
    state_probe_flow(tmp_path / "flows")
    runner = LfxRunner(FlowCatalog([tmp_path / "flows"]))
    tenants = ["acme", "globex"] * 3

    async def scenario() -> list[Any]:
        queue = BullMQFlowRunQueue(BullMQOptions(MACHINE_REDIS_URL, prefix=prefix))
        try:
            async with working(queue, FlowRunProcessor(runner), concurrency=1):
                statuses = []
                for n, tenant in enumerate(tenants):
                    request = {"flow": "state-probe", "tenant_id": tenant}
                    job = FlowRunRequest.model_validate({**request, "idempotency_key": f"p{n}"})
                    queued = await queue.enqueue(job)
                    statuses.append(await wait_for(queue, queued.id, ("completed",)))
                return statuses
        finally:
            await queue.close()

    statuses = asyncio.run(scenario())
    for tenant, status in zip(tenants, statuses, strict=True):
        assert status.result is not None and status.result.output is not None
        (text,) = status.result.output["texts"]
        assert json.loads(text)["text"] == tenant
        assert probe_report(text) == NOTHING_LEFT
    assert runner.classes.compilations == 3  # chat input, probe, chat output: once each


def test_a_changed_node_source_is_compiled_again(tmp_path: Path) -> None:
    """Editing the probe's embedded source (its version) shows in the next run; the other
    nodes' unchanged sources are not compiled again."""
    path = state_probe_flow(tmp_path / "flows")
    runner = LfxRunner(FlowCatalog([tmp_path / "flows"]))
    assert run(runner, "acme")["version"] == "v1"
    assert runner.classes.compilations == 3
    flow = json.loads(path.read_text(encoding="utf-8"))
    for node in flow["data"]["nodes"]:
        code = node["data"]["node"]["template"]["code"]
        if node["id"] == "probe":
            assert 'PROBE_VERSION = "v1"' in code["value"]
            code["value"] = code["value"].replace('PROBE_VERSION = "v1"', 'PROBE_VERSION = "v2"')
    path.write_text(json.dumps(flow), encoding="utf-8")
    report = run(runner, "acme")
    assert report["version"] == "v2"
    assert probe_report(json.dumps(report)) == NOTHING_LEFT
    assert runner.classes.compilations == 4


def test_each_flow_file_is_prepared_once_per_version(tmp_path: Path) -> None:
    """Runs of an unchanged file reuse its prepared graph; a rewritten file (new modification
    time and size) is read and prepared again, its node sources still compiled only once, and
    the other flows of its folder are not prepared again."""
    path = state_probe_flow(tmp_path / "flows")
    echo_flow(tmp_path / "flows")
    runner = LfxRunner(FlowCatalog([tmp_path / "flows"]))
    echo = FlowRunJob(flow="echo", tenant_id="acme")
    assert asyncio.run(runner.run(echo)).texts == ["acme"]
    for tenant in ("acme", "globex", "acme"):
        assert run(runner, tenant)["text"] == tenant
    assert (runner.preparations, runner.classes.compilations) == (2, 3)
    flow = json.loads(path.read_text(encoding="utf-8"))
    flow["description"] = "the same flow, described anew"
    path.write_text(json.dumps(flow), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert run(runner, "globex")["text"] == "globex"
    assert runner.catalog.get("state-probe").payload["description"] == flow["description"]
    assert asyncio.run(runner.run(echo)).texts == ["acme"]
    assert (runner.preparations, runner.classes.compilations) == (3, 3)


def test_each_fresh_class_is_new_and_built_as_lfx_builds_it(tmp_path: Path) -> None:
    """Two classes from one cached source are distinct objects with distinct class-level
    lists, and match lfx's own `create_class` in name, inputs, outputs and methods."""
    from lfx.custom.eval import eval_custom_component_code

    path = state_probe_flow(tmp_path / "flows")
    nodes = json.loads(path.read_text(encoding="utf-8"))["data"]["nodes"]
    code = next(n for n in nodes if n["id"] == "probe")["data"]["node"]["template"]["code"]
    cache = NodeClassCache()
    first, second = (cache.fresh_class(code["value"], "StateProbe") for _ in range(2))
    lfx_class = eval_custom_component_code(code["value"], "StateProbe")
    assert cache.compilations == 1
    assert first is not second and first.outputs is not second.outputs  # type: ignore[attr-defined]
    for built in (first, second):
        assert built.__name__ == lfx_class.__name__ == "StateProbeComponent"
        assert [i.name for i in built.inputs] == [i.name for i in lfx_class.inputs]  # type: ignore[attr-defined]
        assert [o.name for o in built.outputs] == [o.name for o in lfx_class.outputs]  # type: ignore[attr-defined]
        assert set(vars(built)) == set(vars(lfx_class))


def test_the_lfx_functions_the_runner_reproduces_keep_their_signatures() -> None:
    """The runner builds graphs without instantiating them and instantiates nodes as lfx's
    `instantiate_class` does, and the class cache follows `create_class` step by step: an lfx
    upgrade that changes any of these fails here, not in a worker."""
    from lfx.custom import validate
    from lfx.custom.annotation_validation import register_compiled_class_method_returns
    from lfx.graph.graph.base import Graph
    from lfx.interface.initialize import loading
    from lfx.processing.process import process_tweaks_on_graph

    def parameters(function: Any) -> list[str]:
        return list(inspect.signature(function).parameters)

    assert "instantiate_components" in parameters(Graph.from_payload)
    assert parameters(process_tweaks_on_graph) == ["graph", "tweaks", "caller_supplied"]
    assert parameters(loading.instantiate_class) == ["vertex", "user_id", "event_manager"]
    assert parameters(loading.get_params) == ["vertex_params"]
    assert parameters(loading._component_class_name) == ["vertex"]
    assert parameters(validate.create_class) == ["code", "class_name"]
    assert parameters(validate.prepare_global_scope) == [
        "module",
        "trusted_method_returns",
        "source_class_bindings",
    ]
    assert parameters(register_compiled_class_method_returns)[:5] == [
        "component_class",
        "class_node",
        "globalns",
        "preexisting_class_ids",
        "trusted_method_returns",
    ]
    for name in (
        "_trusted_imported_bases",
        "_has_static_type_metaclass_bases",
        "_trusted_vector_store_decorator_alias",
        "_future_annotations_import",
        "extract_class_code",
    ):
        assert callable(getattr(validate, name)), name
    source = inspect.getsource(loading.instantiate_class)
    assert "eval_custom_component_code(" in source and "_tracing_service=None" in source


def test_each_run_copies_the_whole_built_graph_and_shares_none_of_it() -> None:
    """A copy of a flow's built graph holds every attribute of the graph, its vertices and
    edges (lfx's own pickling keeps only some), and two copies share no vertex, edge, params
    or run map: a tweak applied to one copy is absent from the next."""
    from lfx.graph.graph.base import Graph
    from lfx.processing.process import process_tweaks_on_graph

    flow = FlowCatalog([REPO_FLOWS]).get("campaign-insights")
    built = Graph.from_payload(_prepare(flow.tenant_payload), instantiate_components=False)
    copies = GraphCopies(built)
    first, second = copies.copy(), copies.copy()
    for graph in (first, second):
        assert set(vars(graph)) == set(vars(built))
        assert [vertex.id for vertex in graph.vertices] == [v.id for v in built.vertices]
        for vertex, original in zip(graph.vertices, built.vertices, strict=True):
            assert set(vars(vertex)) == set(vars(original))
            assert vertex.params == original.params and vertex.graph is graph
        for edge, built_edge in zip(graph.edges, built.edges, strict=True):
            assert set(vars(edge)) == set(vars(built_edge))
    for mine, other in zip(first.vertices, second.vertices, strict=True):
        assert mine is not other and mine.params is not other.params
        assert mine.data is not other.data
    assert first.run_manager is not second.run_manager
    assert {id(e) for e in first.edges}.isdisjoint(id(e) for e in second.edges)
    template = next(v for v in first.vertices if v.id == "AnalysisTemplate-template")
    process_tweaks_on_graph(first, {template.id: {"days": 7}})
    assert template.params["days"] == 7
    assert copies.copy().get_vertex(template.id).params["days"] != 7


def test_each_fresh_class_registers_the_method_returns_lfx_registers() -> None:
    """For every node of the exported flows, the return types lfx records for a fresh class
    (from the part of the class the registration reads) equal those it records for the class
    its own `create_class` builds from the same source."""
    from lfx.custom import validate
    from lfx.custom.annotation_validation import _compiled_class_metadata

    def returns(node_class: type) -> dict[str, str]:
        metadata = _compiled_class_metadata(node_class)
        assert metadata is not None, f"{node_class.__name__} was not registered"
        return {name: repr(value) for name, value in metadata[0].items()}

    cache = NodeClassCache()
    sources = {
        node["data"]["node"]["template"]["code"]["value"]
        for path in sorted(REPO_FLOWS.glob("*.json"))
        for node in _prepare(json.loads(path.read_text(encoding="utf-8")))["nodes"]
    }
    recorded = 0
    for code in sources:
        name = validate.extract_class_name(code, None)
        ours = returns(cache.fresh_class(code, None))
        assert ours == returns(validate.create_class(code, name)), name
        recorded += len(ours)
    assert cache.compilations == len(sources) >= 8 and recorded >= 8
