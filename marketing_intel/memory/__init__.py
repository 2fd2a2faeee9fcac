"""Agent memory: remember insights, messages and facts per tenant; recall them by meaning.

`open_memory_store(settings)` gives the store the settings select: ZeroDB in production
(`MI_MEMORY_BACKEND=zerodb`), else the embedded SQLite store under `./.mi/`. Both embed text on our
side with a LangChain `Embeddings` (the offline MiniLM embedder by default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketing_intel.config import Settings
from marketing_intel.memory.errors import MemoryConfigError, MemoryStoreError, ZeroDBError
from marketing_intel.memory.protocol import MemoryStore
from marketing_intel.memory.records import (
    MEMORY_KINDS,
    MemoryFilter,
    MemoryKind,
    MemoryPage,
    MemoryRecord,
    RecalledMemory,
    record_row,
)
from marketing_intel.shared_instances import SharedInstances

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

__all__ = [
    "MEMORY_KINDS",
    "MemoryConfigError",
    "MemoryFilter",
    "MemoryKind",
    "MemoryPage",
    "MemoryRecord",
    "MemoryStore",
    "MemoryStoreError",
    "RecalledMemory",
    "ZeroDBError",
    "open_memory_store",
    "record_row",
    "shared_memory_store",
]

_shared: SharedInstances[MemoryStore] = SharedInstances()


def open_memory_store(settings: Settings, embeddings: Embeddings | None = None) -> MemoryStore:
    """A memory store of its own, as the settings select it, embedding with `embeddings`
    (default: the offline local embedder); the caller closes it. A production store never
    falls back to the embedded one."""
    if embeddings is None:
        from marketing_intel.embeddings import local_embeddings

        embeddings = local_embeddings()
    if settings.memory.backend == "zerodb":
        from marketing_intel.memory.zerodb_client import RetryPolicy, ZeroDBClient
        from marketing_intel.memory.zerodb_store import ZeroDBMemoryStore

        if settings.memory.zerodb_api_key is None or not settings.memory.zerodb_project_id:
            raise MemoryConfigError(
                "MI_MEMORY_BACKEND=zerodb needs MI_ZERODB_API_KEY and MI_ZERODB_PROJECT_ID"
            )
        client = ZeroDBClient(
            base_url=settings.memory.zerodb_base_url,
            api_key=settings.memory.zerodb_api_key.get_secret_value(),
            project_id=settings.memory.zerodb_project_id,
            timeout_s=settings.memory.zerodb_timeout_s,
            retry=RetryPolicy(attempts=settings.memory.zerodb_max_attempts),
        )
        return ZeroDBMemoryStore(
            client, embeddings, namespace_prefix=settings.memory.zerodb_namespace
        )
    from marketing_intel.memory.local_store import LocalMemoryStore

    return LocalMemoryStore(settings.memory_file, embeddings)


def shared_memory_store(settings: Settings) -> MemoryStore:
    """The store `open_memory_store(settings)` gives (offline embedder), opened once per process
    and configuration: the memory nodes run once per flow run, and reuse its file or its HTTP
    connections instead of opening their own each time. Callers must not close it;
    `marketing_intel.shared_instances.close_shared()` does."""
    if settings.memory.backend == "zerodb":
        # Every memory setting (secrets compared by value): a change to any opens another.
        identity: tuple[object, ...] = ("zerodb", settings.memory)
    else:
        identity = ("local", str(settings.memory_file.resolve()))
    return _shared.get(identity, lambda: open_memory_store(settings))
