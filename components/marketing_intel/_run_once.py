"""One computation per set of input values, shared by a node's outputs.

Langflow calls each output method of a node on its own, so a node whose outputs show parts of
one result (a query's rows and statistics, a report and its narrative) computes that result
once and keeps it while its inputs stay the same. An agent calling the node as a tool again with
other input (new SQL, a new draft) gets a fresh computation. A private helper beside the nodes;
see `_node_errors` for how node files import it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

Result = TypeVar("Result")
# Input values compared by value; anything else (a Message, a DataFrame, a handle) by identity:
# a table's `==` is element-wise, and within one run Langflow passes the same object.
_PLAIN = (str, int, float, bool, type(None))


def run_once(compute: Callable[[Any], Result]) -> Callable[[Any], Result]:
    """Decorate a node method (no arguments besides the node) whose result the node's outputs
    share: it runs again only when one of the node's input values changed."""
    slot = f"_run_once_{compute.__name__}"

    @functools.wraps(compute)
    def shared(node: Any) -> Result:
        inputs = tuple(getattr(node, field.name, None) for field in node.inputs if field.name)
        kept: tuple[tuple[Any, ...], Result] | None = vars(node).get(slot)
        if kept is None or not _same_values(kept[0], inputs):
            # The inputs are kept with the result: an object compared by identity stays alive.
            kept = (inputs, compute(node))
            setattr(node, slot, kept)
        return kept[1]

    return shared


def _same_values(kept: tuple[Any, ...], given: tuple[Any, ...]) -> bool:
    return len(kept) == len(given) and all(
        old is new or (_plain(old) and _plain(new) and old == new)
        for old, new in zip(kept, given, strict=True)
    )


def _plain(value: Any) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(_plain(key) and _plain(item) for key, item in value.items())
    return False
