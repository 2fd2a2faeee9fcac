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

Issue 19 replaced the single target with one per way of serving, all measured in one run:

- editor (`langflow run` with langflow.env's settings, run logs on, as `make run`): a flow run
  may add at most 30 ms over Langflow's six-node floor plus the same work done directly (the
  direct baseline): what our nodes cost beyond Langflow's per-node machinery and our code;
- runtime (`make runtime`: the launcher's runtime profile, langflow.runtime.env): each cache
  hit within 1.5x + 100 ms of `cached_report`, each computing run within 1.5x + 100 ms of
  `run_template`;
- `lfx serve` (no database; no tweaks: the window goes as the run's global variables
  `WINDOW_START`/`WINDOW_END`): its computing runs and cache hits against the same baselines,
  no target.

The servers run one after another (each about 1.2 GB), each on a seeded demo lake of its own;
the last line counts the targets met.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
from tests.jobs_support import free_port
from tests.langflow_server import (
    HOST,
    REPO_ROOT,
    BundleSource,
    LangflowServer,
    Profile,
    seed_demo_lake,
    start_langflow,
    stop_langflow,
)

TENANT = "demo-1"
REPEAT = sized(7, 1)
WARMUP = 1
WINDOW_DAYS = 28
TTL_S = 900
FLOW_NODES = 6  # each analysis flow: Chat Input, cache, template, memory, two Chat Outputs
EDITOR_EXCESS_S = 0.030  # the editor's target: at most 30 ms over the floor plus direct
LFX_START_S = 300.0
LFX_API_KEY = "sk-bench-lfx-serve"  # lfx serve checks x-api-key against LANGFLOW_API_KEY

# A flow's run (its answer checked) or its direct baseline, for one window.
WindowRun = Callable[[Window], None]


@dataclass(frozen=True)
class Measured:
    """One flow's median run served (`served_s`) against its direct baseline (`direct_s`)."""

    endpoint: str
    kind: str  # "computing" or "cache hit"
    served_s: float
    direct_s: float

    @property
    def label(self) -> str:
        """The endpoint on a flow's first line, blank on its second."""
        return self.endpoint if self.kind == "computing" else ""


@dataclass
class Targets:
    """The targets checked so far: how many, how many met."""

    checked: int = 0
    met: int = 0

    def check(self, met: bool) -> str:
        """Count one target; its verdict for the line."""
        self.checked += 1
        self.met += met
        return "ok" if met else "OVER"


def main() -> None:
    """Time every flow in the editor, in the runtime profile and under `lfx serve`, each
    against the template's Python called directly, computing and from the cache."""
    targets = Targets()
    print(
        f"flows: Langflow run API vs the template's Python, {WINDOW_DAYS}-day windows, "
        f"median of {REPEAT} (load average {_load()})"
    )
    with tempfile.TemporaryDirectory() as folder:
        _editor(Path(folder) / "editor", targets)
        _runtime(Path(folder) / "runtime", targets)
        _lfx_serve(Path(folder) / "lfx-serve")
    print(f"  (load average after: {_load()})")
    print(f"targets met: {targets.met} of {targets.checked}")


def _editor(folder: Path, targets: Targets) -> None:
    """The editor's floors, each flow's runs and their excess over the six-node floor."""
    with _langflow(folder, "wheel", None) as server, server.client() as api:
        print(
            f"editor (langflow run, langflow.env; target: at most {EDITOR_EXCESS_S * 1000:.0f} ms"
            f" over the {FLOW_NODES}-node floor + direct)"
        )
        floor_s = median_seconds(_chain_run(api, 2), repeat=REPEAT)
        print(f"  Langflow's floor (Chat Input -> Chat Output): {floor_s * 1000:.1f} ms")
        chain_s = median_seconds(_chain_run(api, FLOW_NODES), repeat=REPEAT)
        print(
            f"  Langflow's floor for {FLOW_NODES} nodes (Chat Input -> {FLOW_NODES - 3} "
            f"Pass -> 2 Chat Outputs, in a chain): {chain_s * 1000:.1f} ms"
        )
        flows = _each_flow(server.data_end, server.reference_lake_path, folder, _api_run(api))
        for run in flows:
            excess_s = run.served_s - chain_s - run.direct_s
            verdict = targets.check(excess_s <= EDITOR_EXCESS_S)
            print(
                f"  {run.label:<25} {run.kind:<9} API {run.served_s * 1000:6.1f} ms "
                f"({run.served_s / floor_s:3.1f}x floor), direct {run.direct_s * 1000:6.1f} ms: "
                f"{run.served_s / run.direct_s:6.2f}x, {excess_s * 1000:+4.0f} ms over the "
                f"{FLOW_NODES}-node floor + direct (target <= "
                f"{EDITOR_EXCESS_S * 1000:.0f} ms: {verdict})"
            )


def _runtime(folder: Path, targets: Targets) -> None:
    """The runtime profile's runs against their direct baselines (1.5x + 100 ms)."""
    with _langflow(folder, "components", "runtime") as server, server.client() as api:
        chain_s = median_seconds(_chain_run(api, FLOW_NODES), repeat=REPEAT)
        print(
            "runtime (make runtime: langflow.runtime.env, GC tuned; target: within 1.5x + 100 ms"
            f" of direct); its {FLOW_NODES}-node floor: {chain_s * 1000:.1f} ms"
        )
        flows = _each_flow(server.data_end, server.reference_lake_path, folder, _api_run(api))
        for run in flows:
            _print_against_direct(run.label, "runtime API", run, targets)


def _print_against_direct(name: str, label: str, run: Measured, targets: Targets | None) -> None:
    target_s = 1.5 * run.direct_s + 0.1
    verdict = targets.check(run.served_s <= target_s) if targets else "no target"
    print(
        f"  {name:<25} {run.kind:<9} {label} {run.served_s * 1000:6.1f} ms, direct "
        f"{run.direct_s * 1000:6.1f} ms: {run.served_s / run.direct_s:6.2f}x "
        f"(1.5x + 100 ms = {target_s * 1000:.0f} ms: {verdict})"
    )


@contextmanager
def _langflow(
    folder: Path, nodes_from: BundleSource, profile: Profile | None
) -> Iterator[LangflowServer]:
    folder.mkdir()
    process, server = start_langflow(folder, nodes_from, profile)
    try:
        yield server
    finally:
        stop_langflow(process)


def _each_flow(
    data_end: dt.date,
    reference_lake: Path,
    folder: Path,
    served: Callable[[AnalysisFlowSpec], WindowRun],
) -> list[Measured]:
    """Each analysis flow computing (a window not seen yet, each repetition a day earlier) and
    from the cache (the last day's window again), taking turns with its direct baseline on a
    copy of the server's lake (opened once) and an embedded cache of its own."""
    windows = [_window(data_end, back) for back in range(WARMUP + REPEAT + 1)]
    lake = DuckDBLake(reference_lake)
    cache = SQLiteInsightCache(folder / "bench-cache.sqlite", default_ttl_s=TTL_S)
    measured: list[Measured] = []
    try:
        for spec in ANALYSIS_FLOWS.values():

            def direct(window: Window, template: str = spec.template) -> None:
                run_template(template, lake, TENANT, window)

            def direct_hit(window: Window, template: str = spec.template) -> None:
                cached_report(cache, template, lake, TENANT, window, ttl_s=TTL_S)

            run = served(spec)
            computing = _paired(run, direct, windows[1:])
            hits = _paired(run, direct_hit, [windows[0]] * (WARMUP + REPEAT))
            measured.append(Measured(spec.endpoint, "computing", *computing))
            measured.append(Measured(spec.endpoint, "cache hit", *hits))
    finally:
        cache.close()
        lake.close()
    return measured


def _window(data_end: dt.date, days_back: int) -> Window:
    end = data_end - dt.timedelta(days=days_back)
    return Window(start=end - dt.timedelta(days=WINDOW_DAYS - 1), end=end)


def _api_run(api: httpx.Client) -> Callable[[AnalysisFlowSpec], WindowRun]:
    def served(spec: AnalysisFlowSpec) -> WindowRun:
        def run(window: Window) -> None:
            choice = WindowChoice(start=str(window.start), end=str(window.end))
            body = run_request(spec, TENANT, choice)
            answer = api.post(f"/api/v1/run/{spec.endpoint}", json=body)
            report_from_answer(answer.raise_for_status().json())

        return run

    return served


def _paired(served: WindowRun, direct: WindowRun, windows: list[Window]) -> tuple[float, float]:
    """Median seconds of the served run and of the direct run over `windows` (after the first
    WARMUP ones, untimed), taking turns window by window, so a busy moment of the shared
    machine hits both alike."""
    served_times, direct_times = [], []
    for number, window in enumerate(windows):
        served_s = _timed(served, window)
        direct_s = _timed(direct, window)
        if number >= WARMUP:
            served_times.append(served_s)
            direct_times.append(direct_s)
    return statistics.median(served_times), statistics.median(direct_times)


def _timed(run: WindowRun, window: Window) -> float:
    started = time.perf_counter()
    run(window)
    return time.perf_counter() - started


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


def _lfx_serve(folder: Path) -> None:
    """Our flows under `lfx serve`, computing and from the cache, against the same direct
    baselines as the others, no target. Its `/run` takes the chat input (our tenant) and
    global variables, not tweaks; the window goes as the global variables `WINDOW_START` and
    `WINDOW_END`, which the template nodes read (`_window_inputs`)."""
    folder.mkdir()
    lake_path = folder / "lake.duckdb"
    data_end = seed_demo_lake(lake_path)
    reference = folder / "reference.duckdb"
    shutil.copyfile(lake_path, reference)
    with (
        _lfx_server(folder, lake_path) as url,
        httpx.Client(base_url=url, headers={"x-api-key": LFX_API_KEY}, timeout=300) as client,
    ):
        print("lfx serve (no database; POST /flows/<id>/run, the window as global variables)")
        for run in _each_flow(data_end, reference, folder, _lfx_run(client)):
            _print_against_direct(run.label, "lfx serve", run, None)


@contextmanager
def _lfx_server(folder: Path, lake_path: Path) -> Iterator[str]:
    """`lfx serve flows/` on a free port with the demo lake; its URL once it answers."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LANGFLOW_", "LFX_", "MI_"))
    }
    environment.update(
        PYTHONUNBUFFERED="1",
        LANGFLOW_API_KEY=LFX_API_KEY,
        MI_HOME=str(folder),
        MI_DUCKDB_PATH=str(lake_path),
        MI_VECTORS_PATH=str(folder / "vectors.sqlite"),
    )
    lfx = str(Path(sys.executable).with_name("lfx"))
    command = [lfx, "serve", str(REPO_ROOT / "flows"), "--host", HOST, "--port", str(port)]
    log_path = folder / "lfx-serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # writes to the log file, never to a pipe that could fill
            command,
            cwd=folder,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_lfx(process, url, log_path)
        yield url
    finally:
        stop_langflow(process)


def _wait_for_lfx(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + LFX_START_S
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
    raise RuntimeError(f"lfx serve did not answer at {url} (exit code {process.poll()}):\n{tail}")


def _lfx_run(client: httpx.Client) -> Callable[[AnalysisFlowSpec], WindowRun]:
    def served(spec: AnalysisFlowSpec) -> WindowRun:
        def run(window: Window) -> None:
            body = {
                "input_value": TENANT,
                "global_vars": {"WINDOW_START": str(window.start), "WINDOW_END": str(window.end)},
            }
            answer = client.post(f"/flows/{spec.flow_id}/run", json=body)
            result = answer.raise_for_status().json()
            # Its answer is the last Chat Output's text (the narrative), which names the window.
            if not result.get("success") or str(window.end) not in str(result.get("result")):
                raise RuntimeError(
                    f"lfx serve's run did not answer for {window}: {answer.text[-1000:]}"
                )

        return run

    return served
