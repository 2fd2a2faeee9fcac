"""A flow version's lfx graph, built once and copied whole for each run.

`Graph.from_payload` deep-copies the flow data twice (`normalize_code_for_import`,
`process_flow`), looks every node up in the extension migration table and validates the flow
again: 1.6 ms of an echo flow's 6 ms run, 3 ms of a campaign-insights cache hit, the same work
for the same file on every run. Here it runs once per flow version, with components not
instantiated (the runner instantiates them per run from `NodeClassCache`), and each run gets an
independent copy of the result from a pickle of it, about ten times cheaper than building.

The copy holds every attribute the built graph holds. lfx's own `__getstate__`/`__setstate__`
(written for its cache and checkpoints) keep only some attributes of a graph and an edge, so
the pickle here bypasses them: a graph, vertex, edge or run manager is written as its class and
its whole `__dict__`, and read back into a new object of that class without `__init__`. Locks
are created anew, not copied. Everything a run can change (vertices, params, edges, run maps)
is a new object in each copy; what is shared is what pickle shares by reference (classes,
functions, enum members), as Python's `copy.deepcopy` would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import io
import pickle
from typing import Any


class GraphCopies:
    """One built graph of a flow version; `copy()` gives each run a graph of its own."""

    def __init__(self, graph: Any) -> None:
        buffer = io.BytesIO()
        _WholeStatePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(graph)
        self._pickled = buffer.getvalue()

    def copy(self) -> Any:
        """A new graph, equal to the one built, sharing no mutable state with it or others."""
        graph = pickle.loads(self._pickled)  # noqa: S301 -- our own bytes, made in this process
        # The run starts now, not when the flow version was first built.
        graph._start_time = dt.datetime.now(dt.UTC)
        return graph

    @property
    def size(self) -> int:
        """Bytes kept for the flow version."""
        return len(self._pickled)


class _WholeStatePickler(pickle.Pickler):
    """Writes lfx's graph objects as class + whole `__dict__` (see the module's docstring)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, asyncio.Lock):
            return asyncio.Lock, ()
        if isinstance(obj, _whole_state_classes()):
            return object.__new__, (type(obj),), dict(obj.__dict__), None, None, _restore
        return NotImplemented


def _restore(obj: Any, state: dict[str, Any]) -> None:
    obj.__dict__.update(state)


@functools.cache
def _whole_state_classes() -> tuple[type, ...]:
    """The classes written with their whole state (lfx is imported at the first build)."""
    from lfx.graph.edge.base import Edge
    from lfx.graph.graph.base import Graph
    from lfx.graph.graph.runnable_vertices_manager import RunnableVerticesManager
    from lfx.graph.vertex.base import Vertex

    return (Graph, Vertex, Edge, RunnableVerticesManager)
