"""`DuckDBLake`: the embedded lake, one DuckDB file answering the same BigQuery SQL.

Queries pass the tenant guard, then `duckdb_dialect` turns them into DuckDB SQL, run on the
process's shared, sandboxed connection to the file (`duckdb_file`). Within a process, writes are
serialized by a lock per file; across processes DuckDB's file lock serializes them and a waiting
process retries until `busy_timeout_s`.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

from marketing_intel.lake.bounds import DEFAULT_MAX_SQL_BYTES, QueryClock, nesting_refused
from marketing_intel.lake.duckdb_dialect import ddl, to_duckdb
from marketing_intel.lake.duckdb_file import DEFAULT_MEMORY_LIMIT, first_line, shared_file
from marketing_intel.lake.errors import LakeError, QueryFailed
from marketing_intel.lake.parameters import QueryParameter
from marketing_intel.lake.prepared import PreparedQuery, prepare
from marketing_intel.lake.protocol import (
    InsertResult,
    QueryEstimate,
    QueryLimits,
    QueryResult,
    QueryStatistics,
    Rows,
)
from marketing_intel.lake.rows import validated_arrow
from marketing_intel.lake.schema import TableSpec, lake_tables, table_spec
from marketing_intel.lake.watchdog import WATCHDOG

_WRITE_LOCKS: defaultdict[Path, threading.Lock] = defaultdict(threading.Lock)
_STAGE = "_mi_stage"


class DuckDBLake:
    """The embedded lake in one DuckDB file (default `./.mi/lake.duckdb`)."""

    engine = "duckdb"

    def __init__(
        self,
        path: str | Path,
        *,
        dataset: str = "marketing_intel",
        busy_timeout_s: float = 15.0,
        idle_s: float = 2.0,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        max_sql_bytes: int = DEFAULT_MAX_SQL_BYTES,
    ) -> None:
        self.path = Path(path).resolve()
        self.dataset = dataset  # SQL written for BigQuery may qualify tables with it
        self.max_sql_bytes = max_sql_bytes
        self._file = shared_file(
            self.path,
            on_open=_create_tables,
            busy_timeout_s=busy_timeout_s,
            idle_s=idle_s,
            memory_limit=memory_limit,
        )

    def apply_schema(self) -> None:
        """Create the lake tables if they are missing; safe to run any number of times."""
        with self._connect() as connection:
            _create_tables(connection)

    def query(
        self,
        sql: str,
        params: Sequence[QueryParameter] = (),
        *,
        tenant_id: str,
        limits: QueryLimits = QueryLimits(),  # noqa: B008 - frozen, so sharing is safe
    ) -> QueryResult:
        """Run one read-only BigQuery SQL statement for one tenant, within `limits`: one
        deadline covers checking, transpiling and running it."""
        clock = QueryClock(limits.timeout_s)
        started = time.perf_counter()
        prepared, engine_sql = self._compile(sql, params, tenant_id, limits.row_limit)
        with self._connect() as connection, _cancel_after(connection, clock.remaining()) as timer:
            try:
                table = connection.execute(engine_sql, prepared.values).to_arrow_table()
            except duckdb.Error as error:
                # An interrupt surfaces as InterruptException, or as another error type.
                if timer.fired or isinstance(error, duckdb.InterruptException):
                    raise clock.expired() from None
                if isinstance(error, duckdb.OutOfMemoryException):
                    raise QueryFailed(
                        f"The query needed more than the lake's memory limit "
                        f"({first_line(error)}); narrow the date range or aggregate earlier."
                    ) from None
                raise QueryFailed(
                    f"The lake could not run the query: {first_line(error)}"
                ) from None
        table, truncated = limits.cut(_as_bigquery_types(table))
        statistics = QueryStatistics(
            engine=self.engine,
            duration_ms=(time.perf_counter() - started) * 1000,
            rows=table.num_rows,
            truncated=truncated,
        )
        return QueryResult(table=table, statistics=statistics)

    def estimate(
        self, sql: str, params: Sequence[QueryParameter] = (), *, tenant_id: str
    ) -> QueryEstimate:
        """Check a query against every rule and plan it; DuckDB cannot tell bytes in advance."""
        prepared, engine_sql = self._compile(sql, params, tenant_id, row_limit=None)
        with self._connect() as connection:
            try:
                connection.execute(f"EXPLAIN {engine_sql}", prepared.values)
            except duckdb.Error as error:
                raise QueryFailed(
                    f"The lake could not plan the query: {first_line(error)}"
                ) from None
        return QueryEstimate(engine=self.engine, bytes=None, engine_sql=engine_sql)

    def insert(self, table: str, rows: Rows) -> InsertResult:
        """Validate and add rows; rows whose key is already present (or repeated) are skipped."""
        spec = table_spec(table)
        arrow = validated_arrow(spec, rows)
        with self._staged(spec, arrow) as connection:
            inserted = _count(connection.execute(_insert_rows(spec, keep="first", only_new=True)))
        return InsertResult(table=table, received=arrow.num_rows, inserted=inserted)

    def upsert(self, table: str, rows: Rows) -> InsertResult:
        """Validate and write rows; a row whose key exists replaces it (restatements). Within
        the batch the last row of a key wins. All or nothing, in one transaction."""
        spec = table_spec(table)
        arrow = validated_arrow(spec, rows)
        with self._staged(spec, arrow) as connection, _transaction(connection):
            replaced = _count(connection.execute(_delete_matching_rows(spec)))
            written = _count(connection.execute(_insert_rows(spec, keep="last", only_new=False)))
        return InsertResult(
            table=table, received=arrow.num_rows, inserted=written - replaced, replaced=replaced
        )

    @contextmanager
    def _staged(self, spec: TableSpec, arrow: pa.Table) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection holding the write lock, with the rows registered as `_mi_stage`."""
        staged = arrow.append_column("_mi_row", pa.array(range(arrow.num_rows), pa.int64()))
        with _WRITE_LOCKS[self.path], self._connect() as connection:
            connection.register(_STAGE, staged)
            try:
                yield connection
            except duckdb.Error as error:
                raise LakeError(
                    f"Rows could not be written to {spec.name}: {first_line(error)}"
                ) from None
            finally:
                connection.unregister(_STAGE)

    def row_counts(self) -> dict[str, int]:
        """Rows per lake table over all tenants."""
        with self._connect() as connection:
            counts = {}
            for name in lake_tables():
                row = connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()
                counts[name] = int(row[0]) if row else 0
            return counts

    def _compile(
        self,
        sql: str,
        params: Sequence[QueryParameter],
        tenant_id: str,
        row_limit: int | None,
    ) -> tuple[PreparedQuery, str]:
        prepared = prepare(
            sql,
            params,
            tenant_id=tenant_id,
            row_limit=row_limit,
            qualifiers=[self.dataset],
            max_sql_bytes=self.max_sql_bytes,
        )
        with nesting_refused():  # hashing and writing a deep tree recurse too
            return prepared, _duckdb_sql(prepared.tree, tuple(sorted(prepared.types.items())))

    def close(self) -> None:
        """Release the lake file now (it is released anyway after `idle_s` without use)."""
        self._file.close()

    def _connect(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        return self._file.cursor()


@lru_cache(maxsize=512)
def _duckdb_sql(tree: exp.Query, types: tuple[tuple[str, str], ...]) -> str:
    """DuckDB SQL of a guarded tree, cached with the tree (see `prepare`)."""
    return to_duckdb(tree, dict(types))


def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    for spec in lake_tables().values():
        connection.execute(ddl(spec.ddl))


def _insert_rows(spec: TableSpec, *, keep: str, only_new: bool) -> str:
    """INSERT of one staged row per key (the batch's `keep` = first or last), optionally only
    of keys not in the table yet."""
    columns = ", ".join(f'"{name}"' for name in spec.column_names)
    key = ", ".join(f'"{name}"' for name in spec.key)
    order = "ASC" if keep == "first" else "DESC"
    new = f'WHERE NOT EXISTS (SELECT 1 FROM "{spec.name}" t WHERE {_matches(spec)}) '
    return (
        f'INSERT INTO "{spec.name}" ({columns}) '
        f"SELECT {columns} FROM {_STAGE} s {new if only_new else ''}"
        f"QUALIFY ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY _mi_row {order}) = 1"
    )


def _delete_matching_rows(spec: TableSpec) -> str:
    """DELETE of the table's rows whose key is among the staged rows."""
    return f'DELETE FROM "{spec.name}" t USING {_STAGE} s WHERE {_matches(spec)}'


def _matches(spec: TableSpec) -> str:
    return " AND ".join(f't."{name}" = s."{name}"' for name in spec.key)


def _as_bigquery_types(table: pa.Table) -> pa.Table:
    """DuckDB sums and counts integers into HUGEINT (Arrow decimal128(38, 0)); BigQuery gives
    INT64. Our NUMERIC is always scale 9, so a scale-0 decimal can only be such an integer."""
    for index, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type) and field.type.scale == 0:
            table = table.set_column(index, field.name, table.column(index).cast(pa.int64()))
    return table


@contextmanager
def _transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    connection.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _count(cursor: duckdb.DuckDBPyConnection) -> int:
    row = cursor.fetchone()
    return int(row[0]) if row else 0


class _Timer:
    fired = False


@contextmanager
def _cancel_after(connection: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[_Timer]:
    """Interrupt the connection's running statement after `seconds` (DuckDB has no timeout)."""
    state = _Timer()

    def cancel() -> None:
        state.fired = True
        connection.interrupt()

    deadline = WATCHDOG.call_later(seconds, cancel)
    try:
        yield state
    finally:
        deadline.cancel()
