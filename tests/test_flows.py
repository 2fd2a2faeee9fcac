"""The template flows without a server: the committed JSONs are a fresh export, hold no secret,
have the shape callers rely on, and run headless with `lfx run` (`mi flows run`) to the same
report (or brand-voice score) as the core Python; the analyst agent, which needs a model key to
run, loads into an lfx Graph whose tools lfx builds with the right argument schemas."""

from __future__ import annotations

import asyncio
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
    AGENT_FLOW,
    AGENT_NODE,
    ANALYSIS_FLOWS,
    ANSWER_NODE,
    BRAND_SEARCH_NODE,
    BRAND_TOOL_NODE,
    BRAND_VOICE_FLOW,
    CACHE_NODE,
    CHAT_MEMORY_NODE,
    DRAFT_NODE,
    FLOWS,
    HISTORY_NODE,
    INSTRUCTIONS_NODE,
    MEMORY_NODE,
    MODEL_KEY_VARIABLE,
    NARRATIVE_NODE,
    NEAREST_NODE,
    QUERY_TOOL_NODE,
    QUESTION_NODE,
    RECALL_TOOL_NODE,
    REPORT_NODE,
    SCORE_NODE,
    STORE_ANSWER_NODE,
    STORE_QUESTION_NODE,
    TEMPLATE_NODE,
    TENANT_NODE,
    VERDICT_NODE,
    FlowError,
    WindowChoice,
    flow_spec,
)
from marketing_intel.flows.files import CHECKOUT_FLOWS, flow_path, load_flow
from marketing_intel.flows.headless import prepared_flow
from marketing_intel.lake import DuckDBLake
from tests.brand_voice_seed import VOICES, seed_brand_voice
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
    assert sorted(fresh) == sorted(spec.file_name for spec in FLOWS.values())
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


@pytest.mark.parametrize("spec", FLOWS.values(), ids=lambda spec: spec.endpoint)
def test_each_flow_has_its_gallery_card_and_a_layout(spec: Any) -> None:
    flow = load_flow(spec)
    assert (flow["id"], flow["endpoint_name"], flow["name"]) == (
        spec.flow_id,
        spec.endpoint,
        spec.title,
    )
    assert flow["tags"] == list(spec.tags) and flow["description"] == spec.description
    nodes = flow["data"]["nodes"]
    positions = {(n["position"]["x"], n["position"]["y"]) for n in nodes}
    assert len(positions) == len(nodes), "two nodes on the same spot"
    assert all(node["type"] == "genericNode" for node in nodes)
    assert spec.answer_node in {node["id"] for node in nodes}


def _nodes(flow: dict[str, Any]) -> dict[str, Any]:
    return {node["id"]: node for node in flow["data"]["nodes"]}


def _wiring(flow: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    return {
        (
            e["source"],
            e["data"]["sourceHandle"]["name"],
            e["target"],
            e["data"]["targetHandle"]["fieldName"],
        )
        for e in flow["data"]["edges"]
    }


def _api_editable(flow: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (node_id, name)
        for node_id, node in _nodes(flow).items()
        for name, field in node["data"]["node"]["template"].items()
        if isinstance(field, dict) and field.get("api_editable")
    }


@pytest.mark.parametrize("spec", ANALYSIS_FLOWS.values(), ids=lambda spec: spec.endpoint)
def test_each_analysis_flow_has_the_shape_callers_rely_on(spec: Any) -> None:
    flow = load_flow(spec)
    nodes = _nodes(flow)
    assert set(nodes) == {
        TENANT_NODE,
        CACHE_NODE,
        TEMPLATE_NODE,
        MEMORY_NODE,
        REPORT_NODE,
        NARRATIVE_NODE,
    }
    assert nodes[TEMPLATE_NODE]["data"]["type"] == f"{spec.component}Component"
    assert _wiring(flow) == {
        (TENANT_NODE, "message", TEMPLATE_NODE, "tenant_id"),
        (CACHE_NODE, "insight_cache", TEMPLATE_NODE, "insight_cache"),
        (TEMPLATE_NODE, "narrative", NARRATIVE_NODE, "input_value"),
        (TENANT_NODE, "message", MEMORY_NODE, "tenant_id"),
        (TEMPLATE_NODE, "report_json", MEMORY_NODE, "value"),
        (MEMORY_NODE, "remembered", REPORT_NODE, "input_value"),
    }
    assert _api_editable(flow) == {
        (TENANT_NODE, "input_value"),
        *((TEMPLATE_NODE, name) for name in ("days", "start_date", "end_date", "options")),
    }


def test_the_brand_voice_flow_has_the_shape_callers_rely_on() -> None:
    flow = load_flow(BRAND_VOICE_FLOW)
    nodes = _nodes(flow)
    assert nodes[BRAND_SEARCH_NODE]["data"]["type"] == "BrandVoiceSearchComponent"
    assert _wiring(flow) == {
        (DRAFT_NODE, "message", BRAND_SEARCH_NODE, "draft"),
        (BRAND_SEARCH_NODE, "score", SCORE_NODE, "input_value"),
        (BRAND_SEARCH_NODE, "verdict", VERDICT_NODE, "input_value"),
        (BRAND_SEARCH_NODE, "nearest", NEAREST_NODE, "input_value"),
    }
    assert _api_editable(flow) == {
        (DRAFT_NODE, "input_value"),
        (BRAND_SEARCH_NODE, "tenant_id"),
        (BRAND_SEARCH_NODE, "brand"),
        (BRAND_SEARCH_NODE, "k"),
    }
    assert BRAND_VOICE_FLOW.tweaks("Snack time!", "acme", "sprout") == {
        DRAFT_NODE: {"input_value": "Snack time!"},
        BRAND_SEARCH_NODE: {"tenant_id": "acme", "brand": "sprout"},
    }


TOOL_NODES = (QUERY_TOOL_NODE, RECALL_TOOL_NODE, BRAND_TOOL_NODE)


def test_the_agent_flow_has_the_shape_callers_rely_on() -> None:
    flow = load_flow(AGENT_FLOW)
    nodes = _nodes(flow)
    types = {node_id: node["data"]["type"] for node_id, node in nodes.items()}
    assert types == {
        QUESTION_NODE: "ChatInput",
        CHAT_MEMORY_NODE: "ZeroDBChatMemoryComponent",
        HISTORY_NODE: "MemoryComponent",
        INSTRUCTIONS_NODE: "PromptComponent",
        QUERY_TOOL_NODE: "BigQueryQueryComponent",
        RECALL_TOOL_NODE: "ZeroDBMemoryRecallComponent",
        BRAND_TOOL_NODE: "BrandVoiceSearchComponent",
        AGENT_NODE: "AgentComponent",
        ANSWER_NODE: "ChatOutput",
        STORE_QUESTION_NODE: "MemoryComponent",
        STORE_ANSWER_NODE: "MemoryComponent",
    }
    assert _wiring(flow) == {
        (QUESTION_NODE, "message", AGENT_NODE, "input_value"),
        (CHAT_MEMORY_NODE, "memory", HISTORY_NODE, "memory"),
        (HISTORY_NODE, "messages_text", INSTRUCTIONS_NODE, "history"),
        (INSTRUCTIONS_NODE, "prompt", AGENT_NODE, "system_prompt"),
        *((tool, "component_as_tool", AGENT_NODE, "tools") for tool in TOOL_NODES),
        (AGENT_NODE, "response", ANSWER_NODE, "input_value"),
        # Each turn is written back to the chat memory the history is read from.
        (QUESTION_NODE, "message", STORE_QUESTION_NODE, "message"),
        (CHAT_MEMORY_NODE, "memory", STORE_QUESTION_NODE, "memory"),
        (AGENT_NODE, "response", STORE_ANSWER_NODE, "message"),
        (CHAT_MEMORY_NODE, "memory", STORE_ANSWER_NODE, "memory"),
    }
    for store, sender in ((STORE_QUESTION_NODE, "User"), (STORE_ANSWER_NODE, "Machine")):
        inner = nodes[store]["data"]["node"]
        assert (inner["template"]["mode"]["value"], inner["template"]["sender"]["value"]) == (
            "Store",
            sender,
        )
        assert [o["name"] for o in inner["outputs"]] == ["stored_messages"]
    for tool in TOOL_NODES:  # as the canvas's Tool Mode toggle leaves a node
        assert nodes[tool]["data"]["node"]["tool_mode"] is True
        assert [o["name"] for o in nodes[tool]["data"]["node"]["outputs"]] == ["component_as_tool"]
    # The model key is a global variable's name, resolved at run time, never a value.
    api_key = nodes[AGENT_NODE]["data"]["node"]["template"]["api_key"]
    assert (api_key["value"], api_key["load_from_db"], api_key["password"]) == (
        MODEL_KEY_VARIABLE,
        True,
        True,
    )
    tenant_scoped = (QUERY_TOOL_NODE, RECALL_TOOL_NODE, BRAND_TOOL_NODE, CHAT_MEMORY_NODE)
    assert _api_editable(flow) == {
        (QUESTION_NODE, "input_value"),
        *((node, "tenant_id") for node in tenant_scoped),
        (BRAND_TOOL_NODE, "brand"),
    }


def _agent_subflow(keep: set[str], values: dict[str, dict[str, Any]]) -> Any:
    """An lfx Graph of the exported agent flow's nodes `keep` (and the edges among them), with
    `values` set: the flow's own nodes and embedded code, without the model."""
    from lfx.graph import Graph

    flow = load_flow(AGENT_FLOW)
    data = flow["data"]
    data["nodes"] = [node for node in data["nodes"] if node["id"] in keep]
    data["edges"] = [e for e in data["edges"] if e["source"] in keep and e["target"] in keep]
    for node in data["nodes"]:
        for name, value in values.get(node["id"], {}).items():
            node["data"]["node"]["template"][name]["value"] = value
    return Graph.from_payload(data, flow_id=flow["id"])


def test_the_agent_flow_writes_each_turn_back_to_its_chat_memory() -> None:
    """The write half of the agent flow without a model: a turn's question and answer go
    through the flow's Message History (Store) nodes into ZeroDB Chat Memory (embedded here),
    and the next turn's instructions carry them, for this tenant and session only."""
    tenant = {CHAT_MEMORY_NODE: {"tenant_id": "acme"}}

    def turn(question: str, answer: str, session: str) -> str:
        """One turn: the instructions the agent would get, then the turn written back."""
        asking = _agent_subflow({CHAT_MEMORY_NODE, HISTORY_NODE, INSTRUCTIONS_NODE}, tenant)
        asyncio.run(asking.arun([{}], session_id=session))
        instructions = str(asking.get_vertex(INSTRUCTIONS_NODE).built_object["prompt"].text)
        # The question's store runs in the flow beside the history read; here after it, so
        # the instructions above hold the conversation before this question.
        storing = _agent_subflow({QUESTION_NODE, CHAT_MEMORY_NODE, STORE_QUESTION_NODE}, tenant)
        asyncio.run(storing.arun([{"input_value": question}], session_id=session))
        # The answer as the agent would give it (its edge left out: no model here).
        answering = _agent_subflow(
            {CHAT_MEMORY_NODE, STORE_ANSWER_NODE},
            {**tenant, STORE_ANSWER_NODE: {"message": answer}},
        )
        asyncio.run(answering.arun([{}], session_id=session))
        return instructions

    first = turn("What was our ROAS last week?", "ROAS was 2.4, down from 3.1.", "s1")
    assert first.endswith("The conversation so far:\n")
    turn("Show the top campaigns", "Prospecting leads.", "s2")
    second = turn("And the week before?", "It was 3.1.", "s1")
    assert second.endswith(
        "The conversation so far:\n"
        "User: What was our ROAS last week?\nAI: ROAS was 2.4, down from 3.1."
    )
    # The next question of session s1 reads both earlier turns, in order; s2 stays apart.
    third = turn("Thanks", "You are welcome.", "s1")
    assert third.endswith(
        "User: What was our ROAS last week?\nAI: ROAS was 2.4, down from 3.1.\n"
        "User: And the week before?\nAI: It was 3.1."
    )
    assert "Prospecting" not in third


@pytest.fixture(scope="module")
def agent_tools() -> dict[str, list[Any]]:
    """The agent's tools as lfx builds them from the exported JSON: per tool node connected to
    the agent's `tools`, the LangChain tools of its component (`Component.to_toolkit`)."""
    from lfx.graph import Graph

    flow = load_flow(AGENT_FLOW)
    graph = Graph.from_payload(flow, flow_id=flow["id"])
    agent = graph.get_vertex(AGENT_NODE)
    tool_edges = [e for e in agent.incoming_edges if e.target_handle.field_name == "tools"]
    tools: dict[str, list[Any]] = {}
    for edge in tool_edges:
        vertex = graph.get_vertex(edge.source_id)
        vertex.instantiate_component()
        component = vertex.custom_component
        component.set_attributes(vertex.params)
        tools[edge.source_id] = asyncio.run(component.to_toolkit())
    return tools


def _arguments(tool: Any) -> dict[str, Any]:
    return dict(tool.args_schema.model_json_schema()["properties"])


def test_the_agent_has_exactly_our_three_tools(agent_tools: dict[str, list[Any]]) -> None:
    assert sorted(agent_tools) == sorted(TOOL_NODES)
    names = {node: [tool.name for tool in tools] for node, tools in agent_tools.items()}
    assert names == {
        QUERY_TOOL_NODE: ["run_query"],
        RECALL_TOOL_NODE: ["recall_context"],
        BRAND_TOOL_NODE: ["verdict"],
    }


@pytest.mark.parametrize(
    ("node", "argument"),
    [(QUERY_TOOL_NODE, "sql"), (RECALL_TOOL_NODE, "query"), (BRAND_TOOL_NODE, "draft")],
)
def test_each_agent_tool_takes_one_argument_and_never_the_tenant(
    agent_tools: dict[str, list[Any]], node: str, argument: str
) -> None:
    """An LLM sets only the SQL, the query or the draft; the tenant (and the brand, the
    engine, the limits) stay the node's own fields, out of the model's reach."""
    (tool,) = agent_tools[node]
    arguments = _arguments(tool)
    assert list(arguments) == [argument]
    assert arguments[argument]["type"] == "string"
    assert tool.args_schema.model_json_schema()["required"] == [argument]
    assert tool.description, "the model chooses tools by their description"


def test_the_agent_tool_runs_for_the_node_tenant_whatever_the_model_passes(
    agent_tools: dict[str, list[Any]],
    demo_lake: tuple[Path, Window],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The BigQuery tool, invoked as an agent would, with a forged tenant argument: the
    argument is dropped by the tool's schema and the node's tenant (empty as exported) holds,
    so the query is refused rather than run for the tenant the model named."""
    monkeypatch.setenv("MI_DUCKDB_PATH", str(demo_lake[0]))
    (tool,) = agent_tools[QUERY_TOOL_NODE]
    arguments = {"sql": "SELECT COUNT(*) AS n FROM campaign_metrics", "tenant_id": "demo-1"}
    answer = str(asyncio.run(tool.ainvoke(arguments)))  # lfx hands tool errors to the model
    assert "Every lake query runs for one tenant, and none was given; set the tenant id." in answer


def test_flow_ids_are_stable_and_unique() -> None:
    ids = {spec.flow_id for spec in FLOWS.values()}
    assert len(ids) == len(FLOWS) == 6
    assert flow_spec("campaign-insights").flow_id == "a8f9dfca-8365-5e2b-a3ef-98cb19f7bc9d"


def test_an_unknown_flow_is_a_sentence() -> None:
    with pytest.raises(FlowError, match="choose one of campaign-insights, platform-events"):
        flow_spec("brand-voice")
    with pytest.raises(FlowError, match="brand-voice-check, marketing-analyst-agent"):
        flow_spec("analyst")


def test_the_checkout_flows_are_found() -> None:
    assert flow_path(flow_spec("audience-trends")) == CHECKOUT_FLOWS / "audience-trends.json"


def test_a_headless_run_sets_tenant_and_window_and_keeps_the_report_output() -> None:
    spec = ANALYSIS_FLOWS["campaign-insights"]
    choice = WindowChoice(start="2026-10-01", end="2026-10-14")
    flow = load_flow(spec)
    prepared = prepared_flow(flow, spec.answer_node, spec.tweaks("demo-2", choice))
    nodes = {node["id"]: node["data"]["node"]["template"] for node in prepared["data"]["nodes"]}
    assert set(nodes) == {TENANT_NODE, CACHE_NODE, TEMPLATE_NODE, MEMORY_NODE, REPORT_NODE}
    assert all(edge["target"] != NARRATIVE_NODE for edge in prepared["data"]["edges"])
    assert nodes[TENANT_NODE]["input_value"]["value"] == "demo-2"
    window = {name: nodes[TEMPLATE_NODE][name]["value"] for name in ("start_date", "end_date")}
    assert window == {"start_date": "2026-10-01", "end_date": "2026-10-14"}
    assert len(flow["data"]["nodes"]) == 6, "the loaded flow itself is left alone"


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
        "error: The flow audience-trends failed: the window starts (2026-10-31) after it ends "
        "(2026-10-01); swap the dates"
    )
    assert "Traceback" not in run.stderr


def test_mi_flows_run_brand_voice_check_equals_the_core_score(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exported brand-voice-check, run with `lfx run`, scores a draft exactly as the core
    index's `score()` does on the same index."""
    vectors = tmp_path / "vectors.sqlite"
    index = seed_brand_voice(vectors, "acme", "sprout")
    draft = VOICES["sprout-and-co"]["on_brand"][1]
    try:
        direct = index.score(draft, tenant="acme", brand="sprout", k=3)
    finally:
        index.close()
    monkeypatch.setenv("MI_VECTORS_PATH", str(vectors))
    command = [MI, "flows", "run", "brand-voice-check", "--tenant", "acme", "--brand", "sprout"]
    run = subprocess.run(
        [*command, "--input", draft], capture_output=True, text=True, timeout=600, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    from_flow = json.loads(run.stdout)
    assert direct.label == "on brand" and direct.score is not None
    assert from_flow == direct.model_dump(mode="json")


def test_mi_flows_run_of_a_chat_flow_needs_its_message() -> None:
    run = subprocess.run(
        [MI, "flows", "run", "brand-voice-check", "--tenant", "acme", "--brand", "sprout"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.strip() == (
        "error: The flow brand-voice-check answers a message: give it with --input TEXT."
    )


def test_the_agent_flow_without_a_model_key_names_the_variable_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Headless, the agent's key is the environment variable the flow names; without it the
    run stops with a sentence that says so (the flow's other nodes build offline up to it)."""
    monkeypatch.delenv(MODEL_KEY_VARIABLE, raising=False)
    command = [MI, "flows", "run", "marketing-analyst-agent", "--tenant", "demo-1"]
    run = subprocess.run(
        [*command, "--input", "How many campaigns ran last week?"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.strip().startswith("error: The flow marketing-analyst-agent failed: ")
    assert f"configure it globally as {MODEL_KEY_VARIABLE}" in run.stderr
    assert "Traceback" not in run.stderr
