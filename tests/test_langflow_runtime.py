"""The runtime profile (`make runtime`: flow_runners/langflow_launcher.py --profile runtime, with
langflow.runtime.env over langflow.env) in a real server, one for this module: it serves the
analysis flows by endpoint name with the editor's reports (the template's own, as
tests/test_langflow_server.py checks the editor's), keeps the declared-tweaks policy, serves no
UI, writes no run logs, and its serving process tuned the garbage collector after start-up."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import time
from collections.abc import Iterator

import httpx
import pytest

from flow_runners.langflow_launcher import TUNED_LINE
from marketing_intel.analysis import Window
from marketing_intel.flows import ANALYSIS_FLOWS, AnalysisFlowSpec, WindowChoice
from marketing_intel.flows.run_api import run_request
from tests.langflow_server import (
    LangflowServer,
    assert_report_matches_direct,
    assert_undeclared_tweak_refused,
    served,
)

pytestmark = pytest.mark.langflow_server
# Langflow's telemetry writer flushes transactions and vertex builds every 0.5 s.
RUN_LOG_FLUSH_S = 3.0


@pytest.fixture(scope="module")
def runtime_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LangflowServer]:
    """One runtime-profile server for this module (start-up takes about a minute)."""
    yield from served(tmp_path_factory.mktemp("langflow-runtime"), "components", "runtime")


@pytest.fixture(scope="module")
def api(runtime_server: LangflowServer) -> Iterator[httpx.Client]:
    with runtime_server.client() as client:
        yield client


def _run(api: httpx.Client, spec: AnalysisFlowSpec, window: Window) -> httpx.Response:
    choice = WindowChoice(start=str(window.start), end=str(window.end))
    return api.post(f"/api/v1/run/{spec.endpoint}", json=run_request(spec, "demo-2", choice))


@pytest.mark.parametrize("spec", ANALYSIS_FLOWS.values(), ids=lambda spec: spec.endpoint)
def test_each_flow_serves_the_templates_report(
    api: httpx.Client, runtime_server: LangflowServer, spec: AnalysisFlowSpec
) -> None:
    window = Window(
        start=runtime_server.data_end - dt.timedelta(days=20), end=runtime_server.data_end
    )
    response = _run(api, spec, window)
    assert response.status_code == 200, response.text[-2000:]
    assert_report_matches_direct(runtime_server, response.json(), spec.template, window)


def test_runs_leave_no_transactions_or_vertex_builds(
    api: httpx.Client, runtime_server: LangflowServer
) -> None:
    """Counted in the server's database (the editor profile's holds 6 of each after one run;
    its monitor API answered none of them to this API key, so it proves nothing here)."""
    spec = ANALYSIS_FLOWS["roi-optimization"]
    window = Window(
        start=runtime_server.data_end - dt.timedelta(days=6), end=runtime_server.data_end
    )
    assert _run(api, spec, window).status_code == 200
    time.sleep(RUN_LOG_FLUSH_S)
    database = runtime_server.log_path.parent / "config" / "langflow.db"
    with contextlib.closing(sqlite3.connect(database)) as db:
        transactions = db.execute('SELECT count(*) FROM "transaction"').fetchone()[0]
        builds = db.execute("SELECT count(*) FROM vertex_build").fetchone()[0]
    assert (transactions, builds) == (0, 0)


def test_the_declared_tweaks_policy_still_holds(api: httpx.Client) -> None:
    assert_undeclared_tweak_refused(api)


def test_it_serves_no_editor_ui(runtime_server: LangflowServer) -> None:
    page = httpx.get(f"{runtime_server.url}/", timeout=30)
    assert "text/html" not in page.headers.get("content-type", "")


def test_the_serving_process_tuned_the_garbage_collector(runtime_server: LangflowServer) -> None:
    assert TUNED_LINE in runtime_server.log_path.read_text(errors="replace")
