"""The agent-memory nodes: "Memory Store", "Memory Recall" and "Chat Memory" (ZeroDB, or embedded).

Thin adapters over `marketing_intel.memory`: inputs -> a `MemoryStore` -> DataFrame, Message or a
LangChain chat history. The store is ZeroDB or the embedded SQLite store, as the server's `MI_`
settings say unless the node's Memory dropdown overrides them; the ZeroDB API key is a Langflow
global variable, never a literal. Text is embedded with the connected Embeddings, else the offline
MiniLM model. The three nodes share their connection inputs and store (`_memory_node`).
"""

from __future__ import annotations

from typing import Any, cast

from lfx.base.memory.model import LCChatMemoryComponent
from lfx.custom.custom_component.component import Component
from lfx.field_typing.constants import Memory
from lfx.io import (
    DropdownInput,
    FloatInput,
    HandleInput,
    IntInput,
    MessageTextInput,
    Output,
    StrInput,
)
from lfx.schema.data import Data
from lfx.schema.dataframe import DataFrame
from lfx.schema.message import Message
from lfx_marketing_intel.marketing_intel._memory_node import CONNECTION_INPUTS, memory_store
from lfx_marketing_intel.marketing_intel._node_errors import node_errors
from lfx_marketing_intel.marketing_intel._run_once import run_once

ANY_KIND = "Any"


class ZeroDBMemoryStoreComponent(Component):
    """Remembers an analysis report, JSON, table rows or a message for one tenant."""

    display_name = "Memory Store"
    description = (
        "Remember an analysis report (one memory per insight), JSON, table rows (a content "
        "column) or a chat message for a tenant, in ZeroDB or the embedded memory."
    )
    icon = "brain"
    name = "ZeroDBMemoryStore"
    metadata = {"keywords": ["zerodb", "memory", "remember", "insights", "agent"]}

    inputs = [
        HandleInput(
            name="value",
            display_name="Remember",
            input_types=["Message", "Data", "JSON", "DataFrame", "Table"],
            info="An analysis report (Data, or a template's Report JSON), other JSON, a table "
            "with a content column, or a message.",
            required=True,
        ),
        DropdownInput(
            name="kind",
            display_name="Kind",
            options=["insight", "fact", "message"],
            value="insight",
            info="What sort of memory (analysis reports are always insights).",
        ),
        StrInput(name="tags", display_name="Tags", is_list=True, info="Tags on every memory."),
        MessageTextInput(name="agent", display_name="Agent", advanced=True),
        MessageTextInput(
            name="session_id",
            display_name="Session ID",
            info="Empty: the message's session, if any.",
            advanced=True,
        ),
        FloatInput(name="importance", display_name="Importance (0-1)", value=0.5, advanced=True),
        IntInput(
            name="ttl_days",
            display_name="Keep for (days)",
            info="Memories expire after this many days; 0 keeps them.",
            value=0,
            advanced=True,
        ),
        *CONNECTION_INPUTS,
    ]
    # group_outputs: both handles show at once. An analysis flow chains its report through
    # "Remembered" to its Chat Output (the lake -> template -> memory -> outputs), so
    # the report is shown only once it is remembered, with no extra Chat Output for the ids.
    outputs = [
        Output(display_name="Stored", name="stored", method="store_memories", group_outputs=True),
        Output(
            display_name="Remembered",
            name="remembered",
            method="remembered_message",
            group_outputs=True,
        ),
    ]

    def store_memories(self) -> DataFrame:
        """Remember the input; the stored memories (id, kind, content, tags)."""
        from marketing_intel.memory import record_row

        records, ids = self._remember()
        return DataFrame([{"id": id, **record_row(r)} for id, r in zip(ids, records, strict=True)])

    def remembered_message(self) -> Message:
        """Remember the input; the input itself as a message, once it is remembered (JSON and
        tables as compact JSON text, which callers parse as the report)."""
        self._remember()
        value = self.value
        if isinstance(value, Message):
            # A new message, not the input: a Chat Output keeps its input's timestamp, and the
            # Playground orders by it, so the report would come before the narrative (made after
            # the report JSON by the same template node) although it is stored after it.
            return Message(text=value.text)
        import orjson

        from marketing_intel.fenced_json import fence_json

        # Compact JSON text, not Data: Langflow shows Data as indented JSON and writes what a
        # Chat Output shows to its build log as YAML, in time that grows with the text's length.
        rows = value.to_dict(orient="records") if isinstance(value, DataFrame) else value.data
        return Message(text=fence_json(orjson.dumps(rows, default=str).decode()))

    @run_once
    def _remember(self) -> tuple[list[Any], list[str]]:
        """The input's records and their stored ids, stored once for both outputs."""
        records = self._records()
        with node_errors():
            ids = memory_store(self).remember_many(records)
        self.status = f"{len(ids)} memories stored: {', '.join(ids)}"
        return records, ids

    def _records(self) -> list[Any]:
        import datetime as dt

        from marketing_intel.memory.conversion import (
            RecordDefaults,
            records_from_mapping,
            records_from_rows,
            records_from_text,
        )

        value = self.value
        with node_errors():
            defaults = RecordDefaults(
                tenant=self.tenant_id,
                kind=self.kind,
                agent=self.agent or None,
                session=self.session_id or _message_session(value),
                tags=tuple(tag for tag in self.tags or () if tag),
                importance=self.importance,
                ttl=dt.timedelta(days=self.ttl_days) if self.ttl_days > 0 else None,
            )
            if isinstance(value, Message):  # a report as JSON text, or a chat message
                return records_from_text(str(value.text or ""), defaults, {"sender": value.sender})
            if isinstance(value, DataFrame):
                return records_from_rows(value.to_dict(orient="records"), defaults)
            if isinstance(value, Data):
                return records_from_mapping(value.data, defaults)
        raise ValueError(
            f"cannot remember a {type(value).__name__}; "
            "connect a report, JSON, a table or a message"
        )


class ZeroDBMemoryRecallComponent(Component):
    """Finds the tenant's memories closest in meaning to a query; an agent can use it as a tool."""

    display_name = "Memory Recall"
    description = (
        "Recall a tenant's memories by meaning from ZeroDB or the embedded memory: the top "
        "matches as a table, and as text for a prompt. Agents can use it as a tool."
    )
    icon = "brain"
    name = "ZeroDBMemoryRecall"
    metadata = {"keywords": ["zerodb", "memory", "recall", "semantic search", "agent"]}

    inputs = [
        MessageTextInput(
            name="query",
            display_name="Query",
            info="What to recall, in plain words (e.g. 'why did ROAS drop on Meta?').",
            required=True,
            tool_mode=True,
        ),
        IntInput(name="k", display_name="Top K", value=5, info="How many memories, at most."),
        DropdownInput(
            name="kind",
            display_name="Kind",
            options=[ANY_KIND, "insight", "fact", "message"],
            value=ANY_KIND,
            advanced=True,
        ),
        StrInput(
            name="tags",
            display_name="Tags",
            is_list=True,
            info="Only memories carrying all of these tags.",
            advanced=True,
        ),
        MessageTextInput(name="agent", display_name="Agent", advanced=True),
        *CONNECTION_INPUTS,
    ]
    outputs = [
        # Agents get the text (a table would reach them truncated); one tool per recall.
        Output(display_name="Memories", name="memories", method="recall_memories", tool_mode=False),
        Output(display_name="Context", name="context", method="recall_context"),
    ]

    def recall_memories(self) -> DataFrame:
        """The recalled memories as a table, closest first, with their scores."""
        return DataFrame([memory.as_row() for memory in self._recalled()])

    def recall_context(self) -> Message:
        """The recalled memories as text for a prompt (one line each, closest first)."""
        lines = [
            f"- [{m.record.kind}, {m.record.created_at:%Y-%m-%d}] {m.record.content}"
            for m in self._recalled()
        ]
        return Message(text="\n".join(lines) if lines else "No memories found.")

    @run_once
    def _recalled(self) -> list[Any]:
        """Both outputs come from one recall; an agent may call the tool again with a new query."""
        from marketing_intel.memory import MemoryFilter

        with node_errors():
            filters = MemoryFilter(
                tenant=self.tenant_id,
                agent=self.agent or None,
                kind=None if self.kind == ANY_KIND else self.kind,
                tags=tuple(tag for tag in self.tags or () if tag),
            )
            memories = memory_store(self).recall(self.query, max(1, self.k), filters)
        self.status = f"{len(memories)} memories"
        return memories


class ZeroDBChatMemoryComponent(LCChatMemoryComponent):
    """A chat history per session for Message History and agents, kept in agent memory."""

    display_name = "Chat Memory"
    description = (
        "Keep chat messages per session in ZeroDB or the embedded memory; connect it to "
        "Message History's External Memory."
    )
    icon = "brain"
    name = "ZeroDBChatMemory"
    metadata = {"keywords": ["zerodb", "memory", "chat history", "session", "agent"]}

    inputs = [
        MessageTextInput(
            name="session_id",
            display_name="Session ID",
            info="Empty: the current session of the flow run.",
            advanced=True,
        ),
        MessageTextInput(name="agent", display_name="Agent", advanced=True),
        *CONNECTION_INPUTS,
    ]
    outputs = [Output(display_name="Memory", name="memory", method="build_message_history")]

    def build_message_history(self) -> Memory:  # type: ignore[type-var]
        """A LangChain chat message history of this tenant and session."""
        from marketing_intel.memory.chat_history import MemoryChatHistory

        session = self.session_id or _graph_session(self)
        if not session:
            raise ValueError("no session id: set Session ID, or run the flow with a session")
        with node_errors():
            history = MemoryChatHistory(
                memory_store(self),
                tenant=self.tenant_id,
                session_id=str(session),
                agent=self.agent or None,
            )
        return cast("Memory", history)


def _graph_session(component: Component) -> str | None:
    try:
        return component.graph.session_id
    except AttributeError:  # built outside a graph
        return None


def _message_session(value: Any) -> str | None:
    session = getattr(value, "session_id", None) if isinstance(value, Message) else None
    return str(session) if session else None
