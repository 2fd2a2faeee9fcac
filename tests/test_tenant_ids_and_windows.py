"""Inputs the engines or stores cannot take are refused where they enter, in one sentence:
windows outside 1900-2999 (a 422 at the bridge, a failed job at once, one line from `mi` and the
nodes), tenant ids off the one pattern (keys, sources, the CLI, the bridge, the nodes, jobs), and
no error names a server path. All real: the bridge app in FastAPI's TestClient on the embedded
SQLite bridge database, the `mi` commands through typer's runner, the nodes built in process.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lfx.schema.message import Message
from sqlalchemy import update
from typer.testing import CliRunner

from bridge_api import create_app
from components.marketing_intel.analysis_templates import CampaignInsightsComponent
from components.marketing_intel.brand_voice import BrandVoiceSearchComponent
from components.marketing_intel.zerodb_memory import ZeroDBMemoryStoreComponent
from marketing_intel.analysis import Window
from marketing_intel.bridge import open_bridge
from marketing_intel.bridge.database import api_keys as api_keys_table
from marketing_intel.cli import app
from marketing_intel.config import Settings, load_settings
from marketing_intel.jobs.errors import BadJobError
from marketing_intel.jobs.processing import parse_job
from marketing_intel.tenants import InvalidTenantId, check_tenant_id
from tests.bridge_support import REPO

YEAR_ONE = {"start": "0001-01-02", "end": "0001-12-31"}  # the window
BAD_TENANTS = ["../../x", "a/b", "a b", "a:b", "", "-x", "x" * 101, "é"]
GOOD_TENANTS = ["acme", "demo-1", "acme.eu_2", "A" * 100]
RUNS = "/v1/flows/campaign-insights/runs"
runner = CliRunner()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("MI_HOME", str(tmp_path / ".mi"))
    monkeypatch.setenv("MI_FLOWS_PATH", str(REPO / "flows"))
    monkeypatch.setenv("MI_BRIDGE_FLUSH_IN_PROCESS", "false")
    return load_settings()


@pytest.fixture
def tenant_key(settings: Settings) -> dict[str, str]:
    bridge = open_bridge(settings)
    try:
        key = bridge.api_keys.create("demo-1")[1]
    finally:
        bridge.close()
    return {"authorization": f"Bearer {key}"}


def one_line(text: str) -> str:
    """The command's error, asserted to be one line and no traceback."""
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


# ---- windows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/insights/campaign_insights?start=0001-01-02&end=0001-12-31&compute=true",  # was 500
        "/v1/insights/campaign_insights?start=3000-01-01&end=3000-01-31&compute=true",
        "/v1/insights/campaign_insights?start=1899-12-31&end=1900-01-31",
    ],
)
def test_insights_for_a_window_outside_1900_2999_are_a_422(settings, tenant_key, path):
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = client.get(path, headers=tenant_key)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_window"
    assert "between 1900-01-01 and 2999-12-31" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"window": YEAR_ONE},  # was 202, then 3 attempts of a flow that cannot succeed
        {"parameters": {"inputs": {"start_date": "0001-01-02", "end_date": "0001-12-31"}}},
        {"parameters": {"tweaks": {"AnalysisTemplate-template": {"days": 10_000_000}}}},
    ],
)
def test_a_flow_run_with_a_window_outside_1900_2999_is_a_422_not_queued(settings, tenant_key, body):
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = client.post(RUNS, json=body, headers=tenant_key)
    assert answer.status_code == 422, answer.text
    assert "1900-01-01" in answer.json()["error"]["message"]


def test_a_queued_job_with_such_a_window_is_a_bad_job_that_fails_at_once():
    """What a producer that skips our models (the backend's Node.js client) enqueues: the
    worker's `parse_job` raises `BadJobError`, which fails the job without retries (the
    queues' own tests show BadJobError means one attempt). Before, it parsed, and the flow then
    failed on each of 3 attempts with an OverflowError."""
    data = {
        "flow": "campaign-insights",
        "tenant_id": "demo-1",
        "parameters": {"inputs": {"start_date": "0001-01-02", "end_date": "0001-12-31"}},
    }
    with pytest.raises(BadJobError, match="between 1900-01-01 and 2999-12-31") as raised:
        parse_job(data)
    assert raised.value.reason == "bad_parameters"


@pytest.mark.parametrize(
    "args",
    [
        ["--start", "0001-01-01", "--end", "0001-12-31"],  # was an OverflowError traceback
        ["--days", "1000000"],  # likewise
    ],
)
def test_mi_analyze_answers_a_window_outside_1900_2999_in_one_line(settings, args):
    done = runner.invoke(app, ["analyze", "campaign_insights", "--tenant", "demo-1", *args])
    assert done.exit_code == 1
    assert "error:" in one_line(done.output) and "1900-01-01" in done.output


def test_the_template_node_answers_such_a_window_in_one_sentence(settings):
    node = CampaignInsightsComponent()
    node.set(tenant_id="demo-1", start_date="0001-01-02", end_date="0001-12-31")
    with pytest.raises(ValueError, match="between 1900-01-01 and 2999-12-31"):
        node.build_report()


def test_windows_inside_the_years_still_work_and_their_previous_window_too():
    today = dt.date(2026, 11, 27)
    window = Window.from_inputs(days=None, start="1900-01-01", end="2999-12-31", today=today)
    assert window.previous().start.year == 800  # the arithmetic that overflowed near year 1
    assert Window.from_inputs(days=46_330, start=None, end=None, today=today).start.year == 1900


# ---- no server paths -------------------------------------------------------------------------


def test_an_unknown_flow_names_the_flows_there_are_never_a_server_path(settings, tenant_key):
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = client.post("/v1/flows/no-such-flow/runs", json={}, headers=tenant_key)
    assert answer.status_code == 404
    message = answer.json()["error"]["message"]
    assert "campaign-insights" in message
    # Before: "(looked in /.../flows, /.../site-packages/lfx_marketing_intel/...)".
    assert "looked in" not in message and not re.search(r"/\w", message), message


# ---- tenant ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("tenant", BAD_TENANTS)
def test_the_one_pattern_refuses_what_could_be_a_path_or_a_key_separator(tenant):
    with pytest.raises(InvalidTenantId, match="use 1-100 letters, digits"):
        check_tenant_id(tenant)


@pytest.mark.parametrize("tenant", GOOD_TENANTS)
def test_the_one_pattern_takes_ordinary_tenant_ids(tenant):
    assert check_tenant_id(tenant) == tenant


@pytest.mark.parametrize(
    "command",
    [
        ["api-keys", "add", "--tenant", "../../x"],  # the reproduction: it succeeded
        ["sources", "add", "--platform", "shopify", "--tenant", "../../x", "--secret", "s"],
        ["query", "SELECT 1 AS x", "--tenant", "../../x"],
        ["analyze", "campaign_insights", "--tenant", "../../x"],
        ["memory", "remember", "--tenant", "../../x", "a fact"],
        ["brand-voice", "score", "--tenant", "../../x", "--brand", "b", "some copy"],
        ["cache", "invalidate", "--tenant", "../../x"],
        ["jobs", "enqueue", "echo", "--tenant", "../../x", "--key", "k1"],
    ],
)
def test_every_command_refuses_a_malformed_tenant_in_one_line(settings, command):
    done = runner.invoke(app, command)
    assert done.exit_code == 1, done.output
    line = one_line(done.output)
    assert "'../../x' is not valid" in line and "1-100 letters" in line


def test_nothing_was_stored_for_the_refused_tenants(settings):
    for command in (
        ["api-keys", "add", "--tenant", "../../x"],
        ["sources", "add", "--platform", "standard", "--tenant", "../../x"],
    ):
        runner.invoke(app, command)
    keys = json.loads(runner.invoke(app, ["api-keys", "list", "--json"]).stdout)
    sources = json.loads(runner.invoke(app, ["sources", "list", "--json"]).stdout)
    assert keys == [] and sources == []


def test_a_key_issued_before_the_check_with_a_malformed_tenant_is_refused(settings, tenant_key):
    bridge = open_bridge(settings)
    with bridge.engine.begin() as connection:  # as an older version stored it
        connection.execute(update(api_keys_table).values(tenant_id="../../x"))
    bridge.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = client.get("/v1/insights/campaign_insights?days=7", headers=tenant_key)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "invalid_key_tenant"


@pytest.mark.parametrize(
    ("node_class", "fields", "build"),
    [
        (CampaignInsightsComponent, {}, "build_report"),
        (
            ZeroDBMemoryStoreComponent,
            {"value": Message(text="a fact", sender="User")},
            "store_memories",
        ),
        (BrandVoiceSearchComponent, {"brand": "b", "draft": "some copy"}, "score_draft"),
    ],
)
def test_the_nodes_refuse_a_malformed_tenant_in_one_sentence(
    settings, node_class: type, fields: dict[str, Any], build: str
):
    node = node_class()
    node.set(tenant_id="../../x", **fields)
    with pytest.raises(ValueError, match=r"'\.\./\.\./x' is not valid; use 1-100 letters"):
        getattr(node, build)()


def test_a_job_for_a_malformed_tenant_is_a_bad_job():
    with pytest.raises(BadJobError, match="is not valid; use 1-100 letters") as raised:
        parse_job({"flow": "campaign-insights", "tenant_id": "../../x"})
    assert raised.value.reason == "missing_tenant"
