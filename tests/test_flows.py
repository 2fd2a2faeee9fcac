"""The template flows without a server: the committed JSONs are a fresh export, hold no secret,
have the shape callers rely on, and run headless with `lfx run` (`mi flows run`) to the same
report as the template's Python."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from marketing_intel.analysis import Window, run_template
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.flows import (
    ANALYSIS_FLOWS,
    CACHE_NODE,
    MEMORIES_NODE,
    MEMORY_NODE,
    NARRATIVE_NODE,
    REPORT_NODE,
    TEMPLATE_NODE,
    TENANT_NODE,
    FlowError,
    WindowChoice,
    flow_spec,
)
from marketing_intel.flows.files import CHECKOUT_FLOWS, flow_path, load_flow
from marketing_intel.flows.headless import prepared_flow
from marketing_intel.lake import DuckDBLake
from tests.lake_pair import assert_same

REPO_ROOT = Path(__file__).resolve().parents[1]
MI = str(Path(sys.executable).with_name("mi"))
# Values that look like credentials, wherever they appear in a flow (component source included).
SECRET_PATTERNS = {
    "OpenAI-style key": r"\bsk-[A-Za-z0-9_-]{16,}",
    "AWS access key id": r"\bAKIA[0-9A-Z]{16}\b",
    "private key block": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "GitHub token": r"\bgh[pousr]_[A-Za-z0-9]{20,}",
    "Slack token": r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
    "Google API key": r"\bAIza[0-9A-Za-z_-]{35}\b",
    "Pinecone key": r"\bpcsk_[A-Za-z0-9_]{20,}",
    "URL with a password": r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:[^/\s@\"']+@",
    "service-account key": r"\"private_key\"\s*:\s*\"[^\"]+",
}


def secret_findings(text: str) -> list[str]:
    """What in a flow's text looks like a secret: a known pattern anywhere, or a password field
    holding a literal instead of a variable name resolved at run time."""
    found = [name for name, pattern in SECRET_PATTERNS.items() if re.search(pattern, text)]
    for node in json.loads(text)["data"]["nodes"]:
        for name, field in node["data"]["node"]["template"].items():
            if not isinstance(field, dict) or not field.get("password"):
                continue
            if field.get("value") and not field.get("load_from_db"):
                found.append(f"{node['id']}.{name} holds a literal secret")
    return found


def _committed() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in CHECKOUT_FLOWS.glob("*.json")}


def test_the_committed_flows_are_a_fresh_export(tmp_path: Path) -> None:
    """`mi flows export` (a new process, a new hash seed) writes exactly the committed files."""
    exported = subprocess.run(
        [MI, "flows", "export", "--folder", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    fresh = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.glob("*.json")}
    assert sorted(fresh) == sorted(spec.file_name for spec in ANALYSIS_FLOWS.values())
    stale = sorted(name for name, text in fresh.items() if _committed().get(name) != text)
    assert not stale, f"flows/ is stale for {stale}: run `mi flows export` and commit flows/"
    assert sorted(_committed()) == sorted(fresh), "flows/ holds a JSON no builder makes"


@pytest.mark.parametrize("name", sorted(_committed()))
def test_no_secret_in_a_flow(name: str) -> None:
    assert secret_findings(_committed()[name]) == []


def test_the_secret_scan_finds_planted_secrets() -> None:
    """The scan can fail: a literal secret in a password field and a key in any value."""
    flow = json.loads(_committed()["campaign-insights.json"])
    template = flow["data"]["nodes"][0]["data"]["node"]["template"]
    template["token"] = {"password": True, "load_from_db": False, "value": "hunter2"}
    template["dsn"] = {"value": "postgresql://app:s3cret@db.internal/lake"}
    template["note"] = {"value": "sk-" + "a1B2" * 8}
    findings = secret_findings(json.dumps(flow))
    assert findings == [
        "OpenAI-style key",
        "URL with a password",
        "ChatInput-tenant.token holds a literal secret",
    ]
    # A variable name resolved at run time is not a secret.
    template["token"] = {"password": True, "load_from_db": True, "value": "OPENAI_API_KEY"}
    del template["dsn"], template["note"]
    assert secret_findings(json.dumps(flow)) == []


@pytest.mark.parametrize("spec", ANALYSIS_FLOWS.values(), ids=lambda spec: spec.endpoint)
def test_each_flow_has_the_shape_callers_rely_on(spec: Any) -> None:
    flow = load_flow(spec)
    assert (flow["id"], flow["endpoint_name"], flow["name"]) == (
        spec.flow_id,
        spec.endpoint,
        spec.title,
    )
    assert flow["tags"] == list(spec.tags) and flow["description"] == spec.description
    nodes = {node["id"]: node for node in flow["data"]["nodes"]}
    assert set(nodes) == {
        TENANT_NODE,
        CACHE_NODE,
        TEMPLATE_NODE,
        MEMORY_NODE,
        REPORT_NODE,
        NARRATIVE_NODE,
        MEMORIES_NODE,
    }
    assert nodes[TEMPLATE_NODE]["data"]["type"] == f"{spec.component}Component"
    wiring = {
        (e["source"], e["data"]["sourceHandle"]["name"], e["target"]) for e in flow["data"]["edges"]
    }
    assert wiring == {
        (TENANT_NODE, "message", TEMPLATE_NODE),
        (CACHE_NODE, "insight_cache", TEMPLATE_NODE),
        (TEMPLATE_NODE, "report", REPORT_NODE),
        (TEMPLATE_NODE, "narrative", NARRATIVE_NODE),
        (TENANT_NODE, "message", MEMORY_NODE),
        (TEMPLATE_NODE, "report", MEMORY_NODE),
        (MEMORY_NODE, "stored", MEMORIES_NODE),
    }
    positions = {(n["position"]["x"], n["position"]["y"]) for n in nodes.values()}
    assert len(positions) == len(nodes), "two nodes on the same spot"
    assert all(node["type"] == "genericNode" for node in nodes.values())
    editable = {
        (node_id, name)
        for node_id, node in nodes.items()
        for name, field in node["data"]["node"]["template"].items()
        if isinstance(field, dict) and field.get("api_editable")
    }
    assert editable == {
        (TENANT_NODE, "input_value"),
        *((TEMPLATE_NODE, name) for name in ("days", "start_date", "end_date", "options")),
    }


def test_flow_ids_are_stable_and_unique() -> None:
    ids = {spec.flow_id for spec in ANALYSIS_FLOWS.values()}
    assert len(ids) == len(ANALYSIS_FLOWS)
    assert flow_spec("campaign-insights").flow_id == "a8f9dfca-8365-5e2b-a3ef-98cb19f7bc9d"


def test_an_unknown_flow_is_a_sentence() -> None:
    with pytest.raises(FlowError, match="choose one of campaign-insights, platform-events"):
        flow_spec("brand-voice")


def test_the_checkout_flows_are_found() -> None:
    assert flow_path(flow_spec("audience-trends")) == CHECKOUT_FLOWS / "audience-trends.json"


def test_a_headless_run_sets_tenant_and_window_and_keeps_the_report_output() -> None:
    flow = load_flow(flow_spec("campaign-insights"))
    prepared = prepared_flow(flow, "demo-2", WindowChoice(start="2026-10-01", end="2026-10-14"))
    nodes = {node["id"]: node["data"]["node"]["template"] for node in prepared["data"]["nodes"]}
    assert set(nodes) == {TENANT_NODE, CACHE_NODE, TEMPLATE_NODE, MEMORY_NODE, REPORT_NODE}
    assert all(edge["target"] != NARRATIVE_NODE for edge in prepared["data"]["edges"])
    assert nodes[TENANT_NODE]["input_value"]["value"] == "demo-2"
    window = {name: nodes[TEMPLATE_NODE][name]["value"] for name in ("start_date", "end_date")}
    assert window == {"start_date": "2026-10-01", "end_date": "2026-10-14"}
    assert len(flow["data"]["nodes"]) == 7, "the loaded flow itself is left alone"


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Window]:
    """A demo lake through 3 days ago, and a 21-day window of complete days inside it."""
    path = tmp_path_factory.mktemp("flows-lake") / "lake.duckdb"
    last_day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)
    lake = DuckDBLake(path)
    seed_lake(lake, DemoSpec(end_date=last_day, tenants=1, days=60))
    lake.close()
    return path, Window(start=last_day - dt.timedelta(days=20), end=last_day)


@pytest.mark.parametrize("spec", ANALYSIS_FLOWS.values(), ids=lambda spec: spec.endpoint)
def test_mi_flows_run_equals_the_template(
    spec: Any, demo_lake: tuple[Path, Window], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mi flows run` runs the exported JSON with `lfx run`: the report's numbers are the
    template's, run directly in Python on the same lake and window."""
    path, window = demo_lake
    monkeypatch.setenv("MI_DUCKDB_PATH", str(path))
    command = [MI, "flows", "run", spec.endpoint, "--tenant", "demo-1", "--json"]
    window_options = ["--start", str(window.start), "--end", str(window.end)]
    run = subprocess.run(
        [*command, *window_options], capture_output=True, text=True, timeout=600, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    from_flow = json.loads(run.stdout)

    # The same `now` as the flow's run (some numbers, like hours since the last event, use it).
    now = dt.datetime.fromisoformat(from_flow["generated_at"])
    lake = DuckDBLake(path)
    try:
        direct = run_template(spec.template, lake, "demo-1", window, now=now)
    finally:
        lake.close()
    assert from_flow["insights"], "the demo data should give findings"
    assert_same(from_flow, direct.model_dump(mode="json"))


def test_mi_flows_run_reports_a_bad_window_as_a_sentence(
    demo_lake: tuple[Path, Window], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MI_DUCKDB_PATH", str(demo_lake[0]))
    window = ["--start", "2026-10-31", "--end", "2026-10-01"]
    run = subprocess.run(
        [MI, "flows", "run", "audience-trends", "--tenant", "demo-1", *window],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.strip() == (
        "error: The flow audience-trends failed: Invalid input: the window starts (2026-10-31) "
        "after it ends (2026-10-01); swap the dates"
    )
    assert "Traceback" not in run.stderr
