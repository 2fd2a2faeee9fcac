"""The `Lake` protocol: what every lake engine (BigQuery, embedded DuckDB) offers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import pyarrow as pa

from marketing_intel.lake.parameters import QueryParameter


@dataclass(frozen=True)
class QueryLimits:
    """How much one query may return and how long it may run."""

    row_limit: int = 10_000
    timeout_s: float = 60.0

    def cut(self, table: pa.Table) -> tuple[pa.Table, bool]:
        """The first `row_limit` rows, and whether there were more (queries fetch one extra)."""
        return table.slice(0, self.row_limit), table.num_rows > self.row_limit

    def __post_init__(self) -> None:
        if self.row_limit < 1:
            raise ValueError("row_limit must be at least 1")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be more than 0 seconds")


@dataclass(frozen=True)
class QueryStatistics:
    """What a query run cost and returned."""

    engine: str
    duration_ms: float
    rows: int
    truncated: bool
    bytes_processed: int | None = None
    bytes_estimated: int | None = None  # the dry run's estimate, where the engine has one
    cache_hit: bool | None = None
    job_id: str | None = None


@dataclass(frozen=True)
class QueryResult:
    """Rows of a query (at most the row limit) and its statistics."""

    table: pa.Table
    statistics: QueryStatistics

    def rows(self) -> list[dict[str, Any]]:
        """The rows as dictionaries of Python values (Decimal, date, datetime, ...)."""
        return self.table.to_pylist()


@dataclass(frozen=True)
class QueryEstimate:
    """What a query would read, before running it; `bytes` is None where the engine can't tell."""

    engine: str
    bytes: int | None
    engine_sql: str


@dataclass(frozen=True)
class InsertResult:
    """How many rows a write received, how many were new and how many replaced existing rows."""

    table: str
    received: int
    inserted: int
    replaced: int = 0

    @property
    def duplicates(self) -> int:
        """Rows skipped: their key was already in the lake (insert) or repeated in the batch."""
        return self.received - self.inserted - self.replaced


Rows: TypeAlias = pa.Table | Sequence[Mapping[str, Any]]


class Lake(Protocol):
    """An analytics lake that holds the four lake tables and answers tenant-scoped BigQuery SQL."""

    engine: str

    def apply_schema(self) -> None:
        """Create the lake tables if they are missing; safe to run any number of times."""
        ...

    def query(
        self,
        sql: str,
        params: Sequence[QueryParameter] = (),
        *,
        tenant_id: str,
        limits: QueryLimits = QueryLimits(),
    ) -> QueryResult:
        """Run one read-only BigQuery SQL statement for one tenant, within `limits`."""
        ...

    def estimate(
        self, sql: str, params: Sequence[QueryParameter] = (), *, tenant_id: str
    ) -> QueryEstimate:
        """Check a query against every rule and say what it would read, without running it."""
        ...

    def insert(self, table: str, rows: Rows) -> InsertResult:
        """Validate and add rows; rows whose key is already present change nothing."""
        ...

    def upsert(self, table: str, rows: Rows) -> InsertResult:
        """Validate and write rows; a row whose key exists replaces it (e.g. a restatement of
        campaign_metrics). Within the batch the last row of a key wins."""
        ...

    def row_counts(self) -> dict[str, int]:
        """Rows per lake table over all tenants (for operators: seeding, health)."""
        ...

    def close(self) -> None:
        """Release the lake's file or connections."""
        ...
