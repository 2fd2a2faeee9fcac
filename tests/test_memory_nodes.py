"""The memory nodes: store and recall through both engines (ZeroDB over HTTP against our stand-in
for ZeroDB, `tests/zerodb_standin.py`), the recall node as an agent tool, errors as sentences, and
a Langflow graph run (no LLM) where Message History keeps messages by session in ZeroDB Chat
Memory."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest
from lfx.components.input_output import ChatInput, ChatOutput
from lfx.components.models_and_agents.memory import MemoryComponent
from lfx.graph import Graph
from lfx.schema.data import Data
from lfx.schema.dataframe import DataFrame
from lfx.schema.message import Message
from lfx_marketing_intel.marketing_intel._memory_node import memory_store

from components.marketing_intel.zerodb_memory import (
    ZeroDBChatMemoryComponent,
    ZeroDBMemoryRecallComponent,
    ZeroDBMemoryStoreComponent,
)
from marketing_intel.analysis.report import Insight, InsightReport, Window
from marketing_intel.fenced_json import fence_json
from marketing_intel.flows.run_api import json_from_message, report_from_message
from marketing_intel.memory import MemoryFilter
from tests.zerodb_standin import API_KEY, PROJECT_ID, StandInZeroDB

ENGINES = ["Embedded (SQLite)", "ZeroDB"]


def connection(engine: str, server: StandInZeroDB) -> dict[str, Any]:
    """The node inputs that select `engine` (the ZeroDB key as a literal, as `set` passes it)."""
    if engine == "ZeroDB":
        return {
            "engine": engine,
            "api_key": API_KEY,
            "project_id": PROJECT_ID,
            "base_url": server.url,
        }
    return {"engine": engine}


def report(tenant: str = "acme") -> InsightReport:
    return InsightReport(
        tenant_id=tenant,
        template="campaign_insights",
        window=Window(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 28)),
        generated_at=dt.datetime(2026, 10, 29, tzinfo=dt.UTC),
        insights=[
            Insight(
                kind="roas_drop",
                severity="warning",
                title="Meta prospecting ROAS fell against the previous window.",
                subject="meta-prospecting",
                metric="roas",
                value=1.2,
                baseline=2.4,
                change=-0.5,
                recommendation="Cap the Meta prospecting budget until creatives are refreshed.",
            ),
            Insight(
                kind="top_performer",
                severity="info",
                title="Google brand search has the best CPA.",
                metric="cpa",
                value=8.0,
            ),
        ],
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_report_is_remembered_per_insight_and_recalled_by_meaning(
    engine: str, zerodb_server: StandInZeroDB
) -> None:
    store = ZeroDBMemoryStoreComponent()
    store.set(
        value=Data(data=report().model_dump(mode="json")),
        tenant_id="acme",
        tags=["october"],
        **connection(engine, zerodb_server),
    )
    stored = store.store_memories()
    assert list(stored["kind"]) == ["insight", "insight"]
    assert stored["tags"].iloc[0] == ["october", "campaign_insights", "roas_drop", "warning"]
    assert stored["importance"].tolist() == [0.8, 0.4]

    recall = ZeroDBMemoryRecallComponent()
    recall.set(
        query="why is facebook return on ad spend down?",
        k=1,
        tenant_id="acme",
        **connection(engine, zerodb_server),
    )
    (row,) = recall.recall_memories().to_dict(orient="records")
    assert row["content"].startswith("Meta prospecting ROAS fell")
    assert row["metadata"]["baseline"] == 2.4
    context = recall.recall_context().text
    assert context.startswith("- [insight, ") and "Cap the Meta prospecting budget" in context

    other = ZeroDBMemoryRecallComponent()
    other.set(query="ROAS", tenant_id="globex", **connection(engine, zerodb_server))
    assert other.recall_memories().empty
    assert other.recall_context().text == "No memories found."


def test_table_rows_and_messages_are_remembered() -> None:
    rows = ZeroDBMemoryStoreComponent()
    rows.set(
        value=DataFrame([{"content": "Q4 goal is 3x ROAS", "owner": "cmo"}]),
        tenant_id="acme",
        kind="fact",
        ttl_days=30,
    )
    (row,) = rows.store_memories().to_dict(orient="records")
    assert (row["content"], row["kind"], row["metadata"]) == (
        "Q4 goal is 3x ROAS",
        "fact",
        {"owner": "cmo"},
    )
    assert row["expires_at"] is not None

    message = ZeroDBMemoryStoreComponent()
    message.set(
        value=Message(text="Remember: no discounts in December", sender="User"),
        tenant_id="acme",
        kind="fact",
    )
    (row,) = message.store_memories().to_dict(orient="records")
    assert row["content"] == "Remember: no discounts in December"


def test_the_remembered_output_passes_the_input_on_once_it_is_stored() -> None:
    store = ZeroDBMemoryStoreComponent()
    store.set(value=Data(data=report("initech").model_dump(mode="json")), tenant_id="initech")
    passed = store.remembered_message()
    # The text a Chat Output shows is the report as compact JSON, as run-API callers read it.
    assert report_from_message(passed.text) == report("initech")
    assert len(json_from_message(passed.text).strip().splitlines()) == 1
    # Both outputs of one run share one store call; the status names what was stored.
    ids = store.store_memories()["id"].tolist()
    assert len(ids) == 2
    assert store.status == f"2 memories stored: {', '.join(ids)}"
    stored = memory_store(store).list(MemoryFilter(tenant="initech")).records
    assert sorted(memory.id for memory in stored) == sorted(ids)

    # A template's Report JSON (text) is remembered insight by insight, and passed on as is: the
    # same text in a new message (stamped now, so the Playground shows it after the narrative).
    as_text = Message(text=fence_json(report("initech").model_dump_json()))
    from_text = ZeroDBMemoryStoreComponent()
    from_text.set(value=as_text, tenant_id="initech")
    passed_on = from_text.remembered_message()
    assert passed_on.text == as_text.text
    assert passed_on is not as_text
    assert passed_on.timestamp >= as_text.timestamp
    assert sorted(from_text.store_memories()["id"].tolist()) == sorted(ids)

    message = Message(text="Remember: no discounts in December", sender="User")
    note = ZeroDBMemoryStoreComponent()
    note.set(value=message, tenant_id="initech", kind="fact")
    assert note.remembered_message().text == message.text

    rows = ZeroDBMemoryStoreComponent()
    rows.set(value=DataFrame([{"content": "Q4 goal is 3x ROAS"}]), tenant_id="initech", kind="fact")
    shown = json_from_message(rows.remembered_message().text)
    assert json.loads(shown) == [{"content": "Q4 goal is 3x ROAS"}]


@pytest.mark.parametrize(
    ("inputs", "sentence"),
    [
        ({"value": DataFrame([{"owner": "cmo"}])}, "row 1 has no `content` or `text`"),
        (
            {"value": Data(data=report("globex").model_dump(mode="json"))},
            "the report is for tenant 'globex'",
        ),
        (
            {"value": Message(text="x"), "tenant_id": "bad tenant!"},
            "Invalid input: The tenant id 'bad tenant!' is not valid; use 1-100 letters",
        ),
        (
            {"value": Message(text="x"), "engine": "ZeroDB"},
            "needs MI_ZERODB_API_KEY and MI_ZERODB_PROJECT_ID",
        ),
        (
            {
                "value": Message(text="x"),
                "engine": "ZeroDB",
                "base_url": "http://169.254.169.254",
                "api_key": "k",
                "project_id": "p",
            },
            "169.254.169.254",
        ),
    ],
)
def test_bad_inputs_are_sentences(inputs: dict[str, Any], sentence: str) -> None:
    node = ZeroDBMemoryStoreComponent()
    node.set(**{"tenant_id": "acme", **inputs})
    with pytest.raises(ValueError, match=None) as error:
        node.store_memories()
    assert sentence in str(error.value)


def test_as_an_agent_tool_only_the_query_is_an_argument() -> None:
    store = ZeroDBMemoryStoreComponent()
    store.set(value=Data(data=report().model_dump(mode="json")), tenant_id="acme")
    store.store_memories()
    theirs = ZeroDBMemoryStoreComponent()
    theirs.set(value=Message(text="Meta ROAS of globex is secret"), tenant_id="globex")
    theirs.store_memories()

    recall = ZeroDBMemoryRecallComponent()
    recall.set(query="", tenant_id="acme", k=5)
    tools = asyncio.run(recall.to_toolkit())
    assert [tool.name for tool in tools] == ["recall_context"]
    assert set(tools[0].args_schema.model_json_schema()["properties"]) == {"query"}
    answer = str(tools[0].invoke({"query": "Meta ROAS"}))
    assert "Meta prospecting ROAS fell" in answer and "globex" not in answer


@pytest.mark.parametrize("engine", ENGINES)
def test_message_history_keeps_messages_by_session_in_chat_memory(
    engine: str, zerodb_server: StandInZeroDB
) -> None:
    """An agent-style flow without an LLM: each chat turn is stored through Message History
    into ZeroDB Chat Memory, then Message History reads a session back."""

    def store_turn(text: str, session: str, sender: str = "User") -> None:
        chat_input = ChatInput(_id="chat_input")
        memory = ZeroDBChatMemoryComponent(_id="chat_memory")
        memory.set(tenant_id="acme", **connection(engine, zerodb_server))
        history = MemoryComponent(_id="store_history")
        # Choosing "Store" in the UI swaps the node's outputs; the same call here.
        history.outputs = history.update_outputs({}, "mode", "Store")["outputs"]
        history.map_outputs()
        history.set(
            mode="Store",
            message=chat_input.message_response,
            sender=sender,  # Message History's Sender field (User for chat input)
            memory=memory.build_message_history,
        )
        output = ChatOutput(_id="chat_output")
        output.set(input_value=history.store_message)
        graph = Graph(start=chat_input, end=output)
        asyncio.run(graph.arun([{"input_value": text}], session_id=session))

    def read_session(session: str) -> str:
        memory = ZeroDBChatMemoryComponent(_id="chat_memory")
        memory.set(tenant_id="acme", **connection(engine, zerodb_server))
        history = MemoryComponent(_id="read_history")
        history.set(mode="Retrieve", memory=memory.build_message_history, n_messages=10)
        output = ChatOutput(_id="chat_output")
        output.set(input_value=history.retrieve_messages_as_text)
        graph = Graph(start=history, end=output)
        (run,) = asyncio.run(graph.arun([{}], session_id=session))
        (result,) = [o for o in run.outputs if o.component_id == "chat_output"]
        return str(result.results["message"].text)

    store_turn("What was our ROAS last week?", "session-a")
    store_turn("ROAS was 2.4, down from 3.1.", "session-a", sender="Machine")
    store_turn("Show the top campaigns", "session-b")
    store_turn("And the week before?", "session-a")

    assert read_session("session-a") == (
        "User: What was our ROAS last week?\nAI: ROAS was 2.4, down from 3.1.\n"
        "User: And the week before?"
    )
    assert read_session("session-b") == "User: Show the top campaigns"


def test_runs_with_the_offline_embedder_share_one_store_per_configuration() -> None:
    """A flow runs its memory node once per run: the runs reuse one open store (one SQLite
    connection) instead of opening a new one each time; connected Embeddings get their own."""
    from marketing_intel.embeddings import local_embeddings
    from marketing_intel.shared_instances import close_shared

    def node(**inputs: Any) -> ZeroDBMemoryStoreComponent:
        store = ZeroDBMemoryStoreComponent()
        store.set(value=Message(text="Q4 goal is 3x ROAS"), tenant_id="acme", **inputs)
        return store

    try:
        first, second = node(), node(engine="Embedded (SQLite)")
        first.store_memories()
        second.store_memories()
        assert memory_store(first) is memory_store(second)
        connected = node(embeddings=local_embeddings())
        assert memory_store(connected) is not memory_store(first)
        memory_store(connected).close()
    finally:
        close_shared()
