"""Each analysis flow run warm through Langflow's `POST /api/v1/run/<endpoint>` vs the template's
Python called directly, in the same run and on the same demo data, for two kinds of run:

- computing: a window the flow's Insight Cache has not seen (each repetition ends one day
  earlier), so the template computes; the baseline is `run_template` on the same windows;
- cache hit: the same window again, so the Insight Cache node serves the stored report; the
  baseline is `cached_report` serving the same report from an embedded cache of its own.

The server is a real `langflow run` (tests/langflow_server.py: the wheel's bundle, the flows of
`flows/` loaded by endpoint name, the embedded cache and memory). The baselines read a copy of
the server's lake, opened once. API and direct runs take turns, so a busy moment of the shared
machine hits both alike. Target: the API run within 1.5x + 100 ms of its baseline. Also printed:
Langflow's own floor, a Chat Input -> Chat Output flow run the same way, and each API time as a
multiple of it (comparable across runs under different load); and Langflow's floor for a flow of
the analysis flows' make-up (Chat Input, three Pass nodes that only forward the message, two Chat
Outputs), with each API time's excess over it: what our nodes and the report they carry add to
Langflow's per-node machinery. When that floor alone is above a target, the line says so.

What a profile of the server shows (py-spy, campaign-insights cache hits, November 2026): our
nodes' own work is about 6 ms a run (watermark query, cache read, memory write of insights
already embedded). The rest is Langflow's per-run machinery, which grows with the number of
nodes and the size of what travels between them: every node's embedded source is parsed and
compiled again on every run (about a third of the CPU; the flow has 7 nodes, 3 of them Chat
Outputs), each Chat Output renders its input (the report as indented JSON) and dumps it to YAML
for the build log, and each run writes messages, transactions and vertex builds to Langflow's
database. Dropping nodes from the flow measured about 22 ms for the memories Chat Output, 36 ms
for the memory node and 12 ms for the narrative Chat Output; turning off Langflow's run logs
(LANGFLOW_TRANSACTIONS_STORAGE_ENABLED / LANGFLOW_VERTEX_BUILDS_STORAGE_ENABLED=false,
LANGFLOW_DEACTIVATE_TRACING=true) about 40 ms. The overhead also grows with the report's size
(platform events, the largest report, has the largest).

Since then (issue 8, November 2026) the flows follow the issue's chain, template -> memory store
-> ChatOutput-report, with no Chat Output for the stored ids (6 nodes), and the report reaches its
Chat Output as compact JSON text rather than Data: a Chat Output renders Data as indented JSON
(jsonable_encoder, 0.5-4 ms) and its build log YAML-dumps the shown text with pure-Python
PyYAML (lfx InterfaceVertex.built_object_repr), 9-14 ms for the compact text of a 23-42 KB
report against 16-34 ms for the indented one. Paired with main at load 1.1-1.3, cache hits went
from 2.7-5.6x to 1.9-3.3x the floor and computing runs from 3.0-7.0x to 2.1-4.6x. What is left
is per node and not ours: compiling each node's code costs 2-5 ms (in-process, lfx's
eval_custom_component_code; our memory node's file, 16 KB with three nodes, is the largest, but
a file with only the Store node saved 0.6 ms), and each node writes its transaction, vertex
build and trace span. With the run logs and tracing off (settings we keep on) every flow met
the target at load 2.1 (cache hits 73-92 ms against a 40 ms floor). Computing runs also embed
the insights they have not seen before (the memory store; 15-40 ms for new texts), which the
direct baseline does not do.

On a slower machine (late November 2026, the same 2-core class: a pure-Python loop 2.5x slower)
the two-node floor was 116-200 ms and the six-node floor 240-311 ms, above every cache-hit target
(107-111 ms) and most computing ones: there the target cannot be met by any flow of this shape,
ours or Langflow's own. Our flows' cache hits came 77-228 ms above the six-node floor, growing
with the report's size (9 KB roi-optimization to 42 KB platform events, about 4 ms per KB: each
node's transaction, vertex build and the Chat Output's YAML dump copy the report), and about
40 ms for our three nodes' larger code and inputs. With the report passed to the memory store as
JSON text instead of Data (Langflow serializes Data field by field at every node), -63 to +120
ms. Tried there and not kept: Langflow's own
LANGFLOW_GUNICORN_PRELOAD (its master freezes the heap before forking the worker; the worst
full collection fell from 0.96-1.6 s to 0.18-0.76 s but the median rose) and higher GC
thresholds (no measurable change); the run logs off (floor 124 ms, cache hits 265-317 ms).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.size import sized
from bench.timing import median_seconds
from marketing_intel.analysis import Window, run_template
from marketing_intel.analysis.cached import cached_report
from marketing_intel.cache.sqlite_cache import SQLiteInsightCache
from marketing_intel.flows import ANALYSIS_FLOWS, AnalysisFlowSpec, WindowChoice
from marketing_intel.flows.run_api import report_from_answer, run_request
from marketing_intel.lake import DuckDBLake
from tests.langflow_server import start_langflow, stop_langflow

TENANT = "demo-1"
REPEAT = sized(7, 1)
WARMUP = 1
WINDOW_DAYS = 28
TTL_S = 900
FLOW_NODES = 6  # each analysis flow: Chat Input, cache, template, memory, two Chat Outputs


def main() -> None:
    """Start Langflow, then time every flow both ways, computing and from the cache."""
    with tempfile.TemporaryDirectory() as folder:
        process, server = start_langflow(Path(folder))
        try:
            lake = DuckDBLake(server.reference_lake_path)
            cache = SQLiteInsightCache(Path(folder) / "bench-cache.sqlite", default_ttl_s=TTL_S)
            # Computing runs end 1..N days before the data's last day; cache hits on the last day.
            windows = [_window(server.data_end, back) for back in range(WARMUP + REPEAT + 1)]
            with server.client() as api:
                print(
                    f"flows: Langflow run API vs the template's Python, {WINDOW_DAYS}-day windows, "
                    f"median of {REPEAT} (load average {_load()})"
                )
                floor_s = median_seconds(_chain_run(api, 2), repeat=REPEAT)
                print(f"  Langflow's floor (Chat Input -> Chat Output): {floor_s * 1000:.1f} ms")
                chain_s = median_seconds(_chain_run(api, FLOW_NODES), repeat=REPEAT)
                print(
                    f"  Langflow's floor for {FLOW_NODES} nodes (Chat Input -> {FLOW_NODES - 3} "
                    f"Pass -> 2 Chat Outputs, in a chain): {chain_s * 1000:.1f} ms"
                )
                for spec in ANALYSIS_FLOWS.values():
                    api_run = _api_run(api, spec)

                    def direct(window: Window, template: str = spec.template) -> None:
                        run_template(template, lake, TENANT, window)

                    def direct_hit(window: Window, template: str = spec.template) -> None:
                        cached_report(cache, template, lake, TENANT, window, ttl_s=TTL_S)

                    computing = _paired(api_run, direct, windows[1:])
                    hits = _paired(api_run, direct_hit, [windows[0]] * (WARMUP + REPEAT))
                    _print(spec.endpoint, "computing", *computing, floor_s, chain_s)
                    _print("", "cache hit", *hits, floor_s, chain_s)
            cache.close()
            lake.close()
            print(f"  (load average after: {_load()})")
        finally:
            stop_langflow(process)


def _window(data_end: dt.date, days_back: int) -> Window:
    end = data_end - dt.timedelta(days=days_back)
    return Window(start=end - dt.timedelta(days=WINDOW_DAYS - 1), end=end)


def _api_run(api: httpx.Client, spec: AnalysisFlowSpec) -> Callable[[Window], None]:
    def run(window: Window) -> None:
        choice = WindowChoice(start=str(window.start), end=str(window.end))
        answer = api.post(f"/api/v1/run/{spec.endpoint}", json=run_request(spec, TENANT, choice))
        report_from_answer(answer.raise_for_status().json())

    return run


def _paired(
    api_run: Callable[[Window], None], direct: Callable[[Window], None], windows: list[Window]
) -> tuple[float, float]:
    """Median seconds of the API run and of the direct run over `windows` (after the first
    WARMUP ones, untimed), taking turns window by window."""
    api_times, direct_times = [], []
    for number, window in enumerate(windows):
        api_s = _timed(api_run, window)
        direct_s = _timed(direct, window)
        if number >= WARMUP:
            api_times.append(api_s)
            direct_times.append(direct_s)
    return statistics.median(api_times), statistics.median(direct_times)


def _timed(run: Callable[[Window], None], window: Window) -> float:
    started = time.perf_counter()
    run(window)
    return time.perf_counter() - started


def _print(
    endpoint: str, kind: str, api_s: float, direct_s: float, floor_s: float, chain_s: float
) -> None:
    # The floor ratio compares runs made under different machine load.
    target = 1.5 * direct_s + 0.1
    verdict = "ok" if api_s <= target else "OVER"
    if chain_s > target:  # not even Langflow's own no-op flow of this shape meets it
        verdict += f", below Langflow's {FLOW_NODES}-node floor"
    print(
        f"  {endpoint:<25} {kind:<9} API {api_s * 1000:6.1f} ms ({api_s / floor_s:3.1f}x floor), "
        f"direct {direct_s * 1000:6.1f} ms: {api_s / direct_s:6.2f}x, overhead "
        f"{(api_s - direct_s) * 1000:+4.0f} ms, {(api_s - chain_s) * 1000:+4.0f} ms over the "
        f"{FLOW_NODES}-node floor (target <= {target * 1000:.0f} ms: {verdict})"
    )


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def _chain_run(api: httpx.Client, nodes: int) -> Any:
    """A run of a chain of `nodes` of Langflow's own nodes, created on the server: Chat Input,
    then Pass nodes (which forward the message, doing nothing else), then two Chat Outputs (one
    for 2 nodes): the make-up of an analysis flow (one input, three working nodes, two outputs)
    with no work in it."""
    from lfx.components.flow_controls.pass_message import PassMessageComponent
    from lfx.components.input_output import ChatInput, ChatOutput
    from lfx.graph import Graph

    chat_input = ChatInput(_id="ChatInput-floor")
    outputs = min(2, nodes - 1)
    previous: Any = chat_input.message_response
    chain: list[Any] = []
    for number in range(1, nodes):
        if number < nodes - outputs:
            node: Any = PassMessageComponent(_id=f"Pass-floor{number}")
            node.set(input_message=previous)
            previous = node.pass_message
        else:
            node = ChatOutput(_id=f"ChatOutput-floor{number}")
            node.set(input_value=previous)
            previous = node.message_response
        chain.append(node)
    data = Graph(start=chat_input, end=chain[-1]).dump()["data"]
    created = api.post("/api/v1/flows/", json={"name": f"bench-floor-{nodes}", "data": data})
    flow_id = created.raise_for_status().json()["id"]

    def run() -> None:
        api.post(f"/api/v1/run/{flow_id}", json={"input_value": TENANT}).raise_for_status()

    return run
