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
    "close_shared_memory_stores",
    "open_memory_store",
    "record_row",
    "shared_memory_store",
]

_shared: SharedInstances[MemoryStore] = SharedInstances()


def open_memory_store(settings: Settings, embeddings: Embeddings | None = None) -> MemoryStore:
    """The memory store the settings select, embedding with `embeddings` (default: the offline
    local embedder). A production store never falls back to the embedded one."""
    if embeddings is None:
        from marketing_intel.embeddings import local_embeddings

        embeddings = local_embeddings()
    if settings.memory_backend == "zerodb":
        from marketing_intel.memory.zerodb_client import RetryPolicy, ZeroDBClient
        from marketing_intel.memory.zerodb_store import ZeroDBMemoryStore

        if settings.zerodb_api_key is None or not settings.zerodb_project_id:
            raise MemoryConfigError(
                "MI_MEMORY_BACKEND=zerodb needs MI_ZERODB_API_KEY and MI_ZERODB_PROJECT_ID"
            )
        client = ZeroDBClient(
            base_url=settings.zerodb_base_url,
            api_key=settings.zerodb_api_key.get_secret_value(),
            project_id=settings.zerodb_project_id,
            timeout_s=settings.zerodb_timeout_s,
            retry=RetryPolicy(attempts=settings.zerodb_max_attempts),
        )
        return ZeroDBMemoryStore(client, embeddings, namespace_prefix=settings.zerodb_namespace)
    from marketing_intel.memory.local_store import LocalMemoryStore

    return LocalMemoryStore(settings.memory_file, embeddings)


def shared_memory_store(settings: Settings) -> MemoryStore:
    """The store `open_memory_store(settings)` gives (offline embedder), opened once per process
    and configuration: the memory nodes run once per flow run, and reuse its file or its HTTP
    connections instead of opening their own each time. Callers must not close it."""
    if settings.memory_backend == "zerodb":
        key = settings.zerodb_api_key.get_secret_value() if settings.zerodb_api_key else None
        identity: tuple[object, ...] = (
            "zerodb",
            settings.zerodb_base_url,
            key,
            settings.zerodb_project_id,
            settings.zerodb_namespace,
            settings.zerodb_timeout_s,
            settings.zerodb_max_attempts,
        )
    else:
        identity = ("local", str(settings.memory_file.resolve()))
    return _shared.get(identity, lambda: open_memory_store(settings))


def close_shared_memory_stores() -> None:
    """Close and forget every store `shared_memory_store` opened (tests, shutdown)."""
    _shared.close_all()
