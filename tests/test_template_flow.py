"""A template node inside Langflow's runtime: a flow (tenant in -> Campaign Insights ->
ChatOutput) built with lfx's graph API, dumped to JSON and run headless by `lfx run`."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from lfx.components.input_output import ChatInput, ChatOutput
from lfx.graph import Graph

from components.marketing_intel.analysis_templates import CampaignInsightsComponent
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.lake import DuckDBLake


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
