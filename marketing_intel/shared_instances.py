"""Backends opened once per process and configuration.

Langflow builds a fresh node on every flow run. A node that opened its own store, file or client
each time would pay for it on every run: a BigQuery client's credentials fetch a new OAuth token,
a Pinecone or ZeroDB client makes a new TLS connection, a BigQuery lake forgets its dry-run
estimates. The nodes ask a `SharedInstances` registry instead, keyed by everything in the
settings that selects the backend (secrets included, compared by value and never printed).

One rule for every layer: `open_*(settings)` (`open_lake`, `open_cache`, ...) returns a fresh
object that its caller closes; `shared_*(settings)` (`shared_lake`, `shared_cache`, ...) returns
the process-wide one, which its callers never close; `close_shared()` closes them all, at a
process's shutdown (the bridge, the jobs worker) and between tests.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, Protocol, TypeVar


class Closable(Protocol):
    """Anything that holds a connection or a file until `close()`."""

    def close(self) -> None:
        """Release the connection or file."""


T = TypeVar("T", bound=Closable)

# Every registry, so that `close_shared` reaches those of the layers this process imported
# without importing the others (weak: a registry a test made and dropped is not kept).
_REGISTRIES: weakref.WeakSet[SharedInstances[Any]] = weakref.WeakSet()


class SharedInstances(Generic[T]):
    """One open instance per identity, opened by the first caller and kept until `close_all`.

    Callers share the instance and must not close it themselves.
    """

    def __init__(self) -> None:
        self._instances: dict[Hashable, T] = {}
        self._lock = threading.Lock()
        _REGISTRIES.add(self)

    def get(self, identity: Hashable, open_instance: Callable[[], T]) -> T:
        """The instance for `identity`, opened with `open_instance()` if there is none yet."""
        with self._lock:
            instance = self._instances.get(identity)
            if instance is None:
                instance = self._instances[identity] = open_instance()
            return instance

    def close_all(self) -> None:
        """Close and forget every instance (tests, shutdown)."""
        with self._lock:
            instances = list(self._instances.values())
            self._instances.clear()
        for instance in instances:
            instance.close()


def close_shared() -> None:
    """Close and forget every shared instance of every layer (`shared_lake`, `shared_cache`,
    `shared_memory_store`, `shared_brand_voice_index`): at shutdown, and between tests.

    The next `shared_*` call opens a new one.
    """
    for registry in list(_REGISTRIES):
        registry.close_all()
