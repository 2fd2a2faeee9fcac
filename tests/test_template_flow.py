"""A template node inside Langflow's runtime: a flow (tenant in -> Campaign Insights ->
ChatOutput) built with lfx's graph API, dumped to JSON and run headless by `lfx run`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lfx.components.input_output import ChatInput, ChatOutput
from lfx.graph import Graph

from components.marketing_intel.analysis_templates import CampaignInsightsComponent
from marketing_intel.analysis import Window
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.lake import DuckDBLake
from tests.jobs_flows import campaign_insights_flow


def test_a_flow_with_a_template_node_runs_in_lfx(tmp_path: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    lake = DuckDBLake(tmp_path / "lake.duckdb")
    seed_lake(lake, DemoSpec(end_date=today, tenants=1, days=42))
    lake.close()  # `lfx run` opens the file in its own process

    tenant = ChatInput(_id="tenant")
    insights = CampaignInsightsComponent(_id="insights")
    insights.set(tenant_id=tenant.message_response, days=28)
    output = ChatOutput(_id="output")
    output.set(input_value=insights.build_narrative)
    flow = Graph(start=tenant, end=output).dump(
        name="campaign-insights-test", description="test", endpoint_name="campaign-insights-test"
    )
    flow_file = tmp_path / "flow.json"
    flow_file.write_text(json.dumps(flow), encoding="utf-8")

    lfx = shutil.which("lfx") or str(Path(sys.executable).with_name("lfx"))
    env = {**os.environ, "MI_DUCKDB_PATH": str(lake.path), "LANGFLOW_DO_NOT_TRACK": "true"}
    # The dependency preflight maps imports to distributions from their installed file lists;
    # an editable install lists only its .pth, so it cannot see that lfx-marketing-intel
    # provides `marketing_intel` (a wheel install can: tests/test_packaging.py).
    command = [lfx, "run", str(flow_file), "--input-value", "demo-1", "--format", "json"]
    run = subprocess.run(
        [*command, "--no-check-dependencies"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    result = json.loads(run.stdout)
    assert result["success"] is True
    narrative = result["result"]
    assert narrative.startswith("## Campaign insights for demo-1"), narrative[:500]


def run_with_variables(tmp_path: Path, variables: dict[str, str]) -> Any:
    """The report of campaign-insights run in process by lfx for demo-1, with `variables` as
    the run's global variables (where `lfx serve` puts its `global_vars`)."""
    from lfx.graph.graph.base import Graph as LfxGraph
    from lfx.processing.process import run_graph

    from marketing_intel.analysis.report import InsightReport
    from marketing_intel.fenced_json import unfence_json

    path = campaign_insights_flow(tmp_path / "flows")
    graph = LfxGraph.from_payload(json.loads(path.read_text(encoding="utf-8"))["data"])
    graph.context["request_variables"] = variables
    (run,) = asyncio.run(run_graph(graph, "demo-1", "chat", "chat"))
    (message,) = (value for output in run.outputs for value in output.results.values())
    return InsightReport.model_validate_json(unfence_json(message.text))


def test_the_window_can_come_from_the_runs_global_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lfx serve` takes no tweaks: WINDOW_START/WINDOW_END (or WINDOW_DAYS) among the run's
    global variables replace the node's window; a bad WINDOW_DAYS is a sentence."""
    today = dt.datetime.now(dt.UTC).date()
    lake = DuckDBLake(tmp_path / "lake.duckdb")
    seed_lake(lake, DemoSpec(end_date=today, tenants=1, days=42))
    lake.close()
    monkeypatch.setenv("MI_DUCKDB_PATH", str(lake.path))
    monkeypatch.setenv("MI_HOME", str(tmp_path))
    end = today - dt.timedelta(days=3)
    start = end - dt.timedelta(days=9)
    dates = {"WINDOW_START": str(start), "WINDOW_END": str(end)}
    assert run_with_variables(tmp_path, dates).window == Window(start=start, end=end)
    last_week = run_with_variables(tmp_path, {"WINDOW_DAYS": "7"}).window
    assert (last_week.end - last_week.start).days == 6
    node_window = run_with_variables(tmp_path, {}).window  # the node's own: the last 28 days
    assert (node_window.end - node_window.start).days == 27
    with pytest.raises(Exception, match="WINDOW_DAYS must be a whole number of days, not 'a week'"):
        run_with_variables(tmp_path, {"WINDOW_DAYS": "a week"})
