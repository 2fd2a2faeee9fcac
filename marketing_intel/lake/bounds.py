"""Bounds every lake query shares, whatever the engine: the SQL's size, its nesting, and one
deadline over parsing, guarding, transpiling and running it.

Parsing is pure Python and cannot be interrupted, so its cost is bounded by the size limit
(100 KB parse and transpile in about 0.7 s on a 2-core machine) and the deadline is checked
between the phases; the engine gets what is left of it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlglot.expressions import Expr
from sqlglot.tokens import Token, TokenType

from marketing_intel.lake.errors import QueryRefused, QueryTimeout

DEFAULT_MAX_SQL_BYTES = 100_000
# Parentheses, brackets and CASE ... END nested deeper than this are refused before parsing:
# sqlglot parses them recursively (about 20 stack frames a level), and 50 levels exhausted
# Python's stack from a shallow caller; servers call from deeper.
MAX_NESTING = 32
# The syntax tree's depth, whatever makes it (500-term UNION ALL and `+` chains were fine, 1,000
# exhausted Python's stack in transpiling); far above what the templates need (11).
MAX_TREE_DEPTH = 300
_OPENING = {TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.CASE}
_CLOSING = {TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.END}


def check_size(sql: str, max_bytes: int) -> None:
    """Refuse SQL text longer than `max_bytes` (UTF-8) before any work is spent on it."""
    size = len(sql.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise QueryRefused(
            f"The SQL is {size:,} bytes, over the {max_bytes:,}-byte limit "
            "(MI_QUERY_MAX_SQL_BYTES); pass long value lists as an array parameter "
            "(`IN UNNEST(@values)`) instead of writing them into the SQL."
        )


def check_nesting(tokens: Sequence[Token]) -> None:
    """Refuse SQL whose parentheses, brackets or CASEs nest deeper than `MAX_NESTING`."""
    depth = deepest = 0
    for token in tokens:
        if token.token_type in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif token.token_type in _CLOSING:
            depth -= 1
    if deepest > MAX_NESTING:
        raise QueryRefused(
            f"The query nests parentheses, subqueries or CASEs {deepest} levels deep, over the "
            f"limit of {MAX_NESTING}; flatten it (use WITH queries instead of nesting)."
        )


@contextmanager
def nesting_refused() -> Iterator[None]:
    """Answer a query too deep for Python's stack (long UNION ALL or `+` chains also nest in
    the syntax tree) with one sentence instead of a RecursionError."""
    try:
        yield
    except RecursionError:
        raise QueryRefused(
            "The query is nested too deeply to be checked (long chains of UNION ALL, "
            "operators or subqueries nest too); split it into WITH queries or shorten it."
        ) from None


class QueryClock:
    """One deadline for a query, from the moment it arrives until its rows are read."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._due = time.monotonic() + timeout_s

    def remaining(self) -> float:
        """Seconds left; raises `QueryTimeout` when none are (checked between phases)."""
        left = self._due - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left

    def expired(self) -> QueryTimeout:
        """The error of a query that ran out of time."""
        return QueryTimeout(
            f"The query ran longer than its {self.timeout_s:g} s timeout and was cancelled; "
            "narrow the date range or raise the timeout."
        )


def check_tree_depth(tree: Expr) -> None:
    """Refuse a syntax tree deeper than `MAX_TREE_DEPTH`: every later step (transpiling,
    hashing, the engines' own parsers) recurses over it. Long UNION ALL or `+` chains are
    deep trees without any parentheses."""
    deepest = 0
    stack: list[tuple[Expr, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.iter_expressions())
    if deepest > MAX_TREE_DEPTH:
        raise QueryRefused(
            f"The query is nested too deeply ({deepest} levels of syntax, over the limit of "
            f"{MAX_TREE_DEPTH}; long chains of UNION ALL or operators nest too); split it "
            "into WITH queries or shorten it."
        )
