"""`MemoryChatHistory`: a LangChain `BaseChatMessageHistory` over any `MemoryStore`, keyed by
tenant and session, so Langflow's Message History and agents can keep a conversation in ZeroDB or
in the embedded store. Each message is one memory of kind "message"."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage, message_to_dict, messages_from_dict

from marketing_intel.memory.protocol import MemoryStore
from marketing_intel.memory.records import MemoryFilter, MemoryRecord, utc_now

PAGE = 500


class MemoryChatHistory(BaseChatMessageHistory):
    """The messages of one session of one tenant, oldest first."""

    def __init__(
        self, store: MemoryStore, *, tenant: str, session_id: str, agent: str | None = None
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.agent = agent
        self._session_id = session_id
        self.context_id: str | None = None  # Langflow's Message History sets it; unused here

    @property
    def session_id(self) -> str:
        """The session whose messages this history holds."""
        return self._session_id

    @session_id.setter
    def session_id(self, value: str | None) -> None:
        # Langflow's Message History assigns its own session id before each read or write, and
        # an empty one when its field is blank: keep ours then.
        if value:
            self._session_id = str(value)

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """Every message of the session, oldest first."""
        records = sorted(self._session_records(), key=lambda record: record.created_at)
        return messages_from_dict([record.metadata["message"] for record in records])  # type: ignore[misc]

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Remember the messages, in one batch, in order."""
        started = utc_now()
        records = [
            MemoryRecord(
                tenant=self.tenant,
                agent=self.agent,
                session=self.session_id,
                kind="message",
                content=_text(message) or f"({message.type} message)",
                tags=(message.type,),
                metadata={"message": message_to_dict(message)},
                # Distinct, ordered times for the messages of one batch.
                created_at=started + dt.timedelta(microseconds=index),
                key=message.id or uuid.uuid4().hex,
            )
            for index, message in enumerate(messages)
        ]
        if records:
            self.store.remember_many(records)

    def clear(self) -> None:
        """Forget every message of the session."""
        for record in self._session_records():
            self.store.forget(record.id, tenant=self.tenant)

    def _session_records(self) -> list[MemoryRecord]:
        filters = MemoryFilter(
            tenant=self.tenant, agent=self.agent, session=self.session_id, kind="message"
        )
        records: list[MemoryRecord] = []
        cursor: str | None = None
        while True:
            page = self.store.list(filters, limit=PAGE, cursor=cursor)
            records.extend(page.records)
            if page.next_cursor is None:
                return records
            cursor = page.next_cursor


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(
        part if isinstance(part, str) else str(part.get("text", "")) for part in content
    )
