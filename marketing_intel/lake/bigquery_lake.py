"""`BigQueryLake`: the production lake on google-cloud-bigquery.

The same guard as the embedded lake scopes every query to a tenant; then every query is
dry-run first and refused when its estimate is over `maximum_bytes_billed` (BigQuery enforces the
same cap on the job itself). Jobs carry labels (tenant, component), a timeout, and bounded retries,
so a failing job never hangs for minutes. Results are read over the REST API unless the Storage
Read API is configured.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from cachetools import TTLCache
from google.api_core import exceptions as google_errors
from google.cloud import bigquery
from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY, DEFAULT_RETRY
from google.cloud.bigquery.table import RowIterator
from sqlglot import exp

from marketing_intel.lake.bounds import DEFAULT_MAX_SQL_BYTES, QueryClock, nesting_refused
from marketing_intel.lake.errors import (
    LakeConfigError,
    LakeError,
    QueryFailed,
    QueryRefused,
    QueryTimeout,
)
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
from marketing_intel.lake.rows import json_rows, validated_arrow
from marketing_intel.lake.schema import Column, TableSpec, lake_tables, table_spec

GIB = 2**30
_LABEL = re.compile(r"[^a-z0-9_-]")


class BigQueryLake:
    """The lake in a BigQuery dataset (`project.dataset`)."""

    engine = "bigquery"

    def __init__(
        self,
        client: bigquery.Client,
        *,
        dataset: str,
        location: str | None = None,
        maximum_bytes_billed: int = 10 * GIB,
        component: str = "marketing-intel",
        use_storage_api: bool = False,
        retry_deadline_s: float = 30.0,
        max_sql_bytes: int = DEFAULT_MAX_SQL_BYTES,
    ) -> None:
        self.client = client
        self.max_sql_bytes = max_sql_bytes
        self.project = client.project
        self.dataset = dataset
        self.location = location or client.location
        self.maximum_bytes_billed = maximum_bytes_billed
        self.component = component
        self.use_storage_api = use_storage_api
        if use_storage_api and importlib.util.find_spec("google.cloud.bigquery_storage") is None:
            raise LakeConfigError(
                "MI_BIGQUERY_USE_STORAGE_API=true needs the google-cloud-bigquery-storage "
                "package; install it, or unset the setting to read results over REST."
            )
        self._estimates: TTLCache[tuple[str, str], int] = TTLCache(maxsize=512, ttl=60)
        self._estimates_lock = threading.Lock()
        # Bounded retries: the client's defaults retry a failing call for up to 10 minutes.
        self._retry = DEFAULT_RETRY.with_deadline(retry_deadline_s)
        self._job_retry = DEFAULT_JOB_RETRY.with_deadline(retry_deadline_s)

    def apply_schema(self) -> None:
        """Create the dataset and the lake tables if they are missing."""
        dataset = bigquery.Dataset(f"{self.project}.{self.dataset}")
        dataset.location = self.location
        with _google_errors("create the dataset"):
            self.client.create_dataset(dataset, exists_ok=True, retry=self._retry)
        for spec in lake_tables().values():
            ddl = self._qualified(spec.ddl).sql(dialect="bigquery", comments=False)
            self._run(ddl, (), tenant_id=None, timeout_s=120)

    def query(
        self,
        sql: str,
        params: Sequence[QueryParameter] = (),
        *,
        tenant_id: str,
        limits: QueryLimits = QueryLimits(),  # noqa: B008 - frozen, so sharing is safe
    ) -> QueryResult:
        """Dry-run, check the byte limit, then run one read-only query for one tenant; one
        deadline covers checking, the dry run and the job (BigQuery's job timeout)."""
        clock = QueryClock(limits.timeout_s)
        started = time.perf_counter()
        prepared, engine_sql = self._compile(sql, params, tenant_id, limits.row_limit)
        estimated = self._dry_run(engine_sql, prepared, tenant_id, clock.remaining())
        job, rows = self._run(
            engine_sql, prepared.parameters.values(), tenant_id, clock.remaining()
        )
        with _google_errors("read the results"):
            table = rows.to_arrow(create_bqstorage_client=self.use_storage_api)
        table, truncated = limits.cut(table)
        statistics = QueryStatistics(
            engine=self.engine,
            duration_ms=(time.perf_counter() - started) * 1000,
            rows=table.num_rows,
            truncated=truncated,
            bytes_processed=job.total_bytes_processed,
            bytes_estimated=estimated,
            cache_hit=job.cache_hit,
            job_id=job.job_id,
        )
        return QueryResult(table=table, statistics=statistics)

    def estimate(
        self, sql: str, params: Sequence[QueryParameter] = (), *, tenant_id: str
    ) -> QueryEstimate:
        """A dry run: the bytes the query would scan, refused when over the byte limit."""
        prepared, engine_sql = self._compile(sql, params, tenant_id, row_limit=None)
        estimated = self._dry_run(engine_sql, prepared, tenant_id, _DRY_RUN_TIMEOUT_S)
        return QueryEstimate(engine=self.engine, bytes=estimated, engine_sql=engine_sql)

    def insert(self, table: str, rows: Rows) -> InsertResult:
        """Add rows whose key is not in the table yet; a repeated key in the batch counts once.

        Small batches (webhooks) stream with row ids derived from the keys, after a key check
        that reads only the batch's partitions and tenants; BigQuery drops a retried request by
        its row ids. Two writers racing with the same new keys may both stream a row, so
        readers that need exactness dedupe by key. Large batches (loads, seeding) go through a
        load job and an insert-only MERGE instead: exact, and cheaper than streaming.
        """
        spec = table_spec(table)
        arrow = validated_arrow(spec, rows)
        batch = _first_per_key(spec, json_rows(arrow))
        if len(batch) > _STREAMING_MAX_ROWS:
            inserted, _ = self._merge(spec, list(batch.values()), replace=False)
        else:
            inserted = self._stream_new(spec, list(batch.items()))
        return InsertResult(table=table, received=arrow.num_rows, inserted=inserted)

    def upsert(self, table: str, rows: Rows) -> InsertResult:
        """Write rows with one MERGE: a row whose key exists replaces it (restatements), the
        last row of a key in the batch wins."""
        spec = table_spec(table)
        arrow = validated_arrow(spec, rows)
        latest = list(_last_per_key(spec, json_rows(arrow)).values())
        inserted, replaced = self._merge(spec, latest, replace=True)
        return InsertResult(
            table=table, received=arrow.num_rows, inserted=inserted, replaced=replaced
        )

    def _stream_new(self, spec: TableSpec, batch: list[tuple[str, dict[str, Any]]]) -> int:
        inserted = 0
        for chunk in _chunks(batch, _KEY_CHECK_ROWS):
            existing = self._existing_keys(spec, chunk)
            new = [(key, row) for key, row in chunk if key not in existing]
            for request in _chunks(new, _STREAMING_ROWS):
                self._stream(spec.name, request)
            inserted += len(new)
        return inserted

    def _merge(
        self, spec: TableSpec, rows: list[dict[str, Any]], *, replace: bool
    ) -> tuple[int, int]:
        """Load `rows` (one per key) into a staging table and MERGE them into the table by key;
        matches are updated when `replace`, else left alone. Returns (inserted, replaced)."""
        if not rows:
            return 0, 0
        staging = self._table_id(f"_mi_stage_{spec.name}_{uuid.uuid4().hex[:12]}")
        with _google_errors(f"stage rows for {spec.name}"):
            config = bigquery.LoadJobConfig(
                schema=[_schema_field(column) for column in spec.columns],
                write_disposition="WRITE_TRUNCATE",
                labels=self._labels(None),
            )
            load = self.client.load_table_from_json(rows, staging, job_config=config)
            load.result(retry=self._retry, timeout=300)
        try:
            sql = _merge_sql(spec, self._table_id(spec.name), staging, replace=replace)
            merge, _ = self._run(sql, (), None, 300)
        finally:
            self.client.delete_table(staging, not_found_ok=True, retry=self._retry)
        stats = merge.dml_stats
        if stats is None:  # a server that reports only the total: count it all as inserted
            return int(merge.num_dml_affected_rows or 0), 0
        return stats.inserted_row_count, stats.updated_row_count

    def _stream(self, table: str, rows: list[tuple[str, dict[str, Any]]]) -> None:
        with _google_errors(f"insert rows into {table}"):
            errors = self.client.insert_rows_json(
                self._table_id(table),
                [row for _, row in rows],
                row_ids=[_row_id(key) for key, _ in rows],
                retry=self._retry,
            )
        if errors:
            raise LakeError(f"BigQuery rejected rows for {table}: {errors[:3]}")

    def row_counts(self) -> dict[str, int]:
        """Rows per lake table over all tenants (from table metadata: no bytes scanned)."""
        counts = {}
        for name in lake_tables():
            with _google_errors(f"read the size of {name}"):
                counts[name] = self.client.get_table(self._table_id(name)).num_rows or 0
        return counts

    def close(self) -> None:
        """Close the client's HTTP connections."""
        self.client.close()

    def _compile(
        self,
        sql: str,
        params: Sequence[QueryParameter],
        tenant_id: str,
        row_limit: int | None,
    ) -> tuple[PreparedQuery, str]:
        """The guarded query and its SQL with every lake table fully qualified."""
        prepared = prepare(
            sql,
            params,
            tenant_id=tenant_id,
            row_limit=row_limit,
            qualifiers=(self.dataset, self.project),
            max_sql_bytes=self.max_sql_bytes,
        )
        with nesting_refused():  # writing a deep tree recurses too
            return prepared, self._qualified(prepared.tree).sql(dialect="bigquery")

    def _qualified(self, tree: exp.Expr) -> exp.Expr:
        """A copy with each lake table as `project`.`dataset`.`table` (the guard left them bare)."""
        qualified = tree.copy()
        for table in qualified.find_all(exp.Table):
            if table.name in lake_tables() and not table.db:
                table.set("db", exp.to_identifier(self.dataset, quoted=True))
                table.set("catalog", exp.to_identifier(self.project, quoted=True))
                table.set("this", exp.to_identifier(table.name, quoted=True))
        return qualified

    def _dry_run(self, sql: str, prepared: PreparedQuery, tenant_id: str, timeout_s: float) -> int:
        """The dry run's byte estimate, refused when over the limit. The same SQL with the same
        parameters reuses its estimate for a minute (templates and agents repeat queries);
        BigQuery still enforces `maximum_bytes_billed` on every job."""
        key = (sql, repr(sorted((p.name, p.type, p.value) for p in prepared.parameters.values())))
        with self._estimates_lock:
            estimated = self._estimates.get(key)
        if estimated is None:
            timeout_s = min(timeout_s, _DRY_RUN_TIMEOUT_S)
            job = self._submit(
                sql, prepared.parameters.values(), tenant_id, timeout_s, dry_run=True
            )
            estimated = int(job.total_bytes_processed or 0)
            with self._estimates_lock:
                self._estimates[key] = estimated
        if estimated > self.maximum_bytes_billed:
            raise QueryRefused(
                f"The query would scan {_size(estimated)}, over the "
                f"{_size(self.maximum_bytes_billed)} limit (max_bytes_billed); narrow the date "
                "range or select fewer columns."
            )
        return estimated

    def _run(
        self,
        sql: str,
        params: Iterable[QueryParameter],
        tenant_id: str | None,
        timeout_s: float,
    ) -> tuple[bigquery.QueryJob, RowIterator]:
        """Run a job and wait for it; the wait also brings the first page of rows."""
        job = self._submit(sql, params, tenant_id, timeout_s)
        with _google_errors("run the query", timeout_s=timeout_s):
            try:
                rows = job.result(retry=self._retry, timeout=timeout_s)
            except TimeoutError:
                job.cancel(retry=self._retry)  # stop billing for a job nobody waits for
                raise
        return job, rows

    def _submit(
        self,
        sql: str,
        params: Iterable[QueryParameter],
        tenant_id: str | None,
        timeout_s: float,
        *,
        dry_run: bool = False,
    ) -> bigquery.QueryJob:
        config = bigquery.QueryJobConfig(
            query_parameters=[bigquery_parameter(p) for p in params],
            labels=self._labels(tenant_id),
            maximum_bytes_billed=self.maximum_bytes_billed,
            job_timeout_ms=int(timeout_s * 1000),
            dry_run=dry_run,
            use_query_cache=not dry_run,
        )
        with _google_errors("run the query", timeout_s=timeout_s):
            job = self.client.query(
                sql,
                job_config=config,
                location=self.location,
                retry=self._retry,
                job_retry=None if dry_run else self._job_retry,
                timeout=timeout_s,
            )
        return job

    def _labels(self, tenant_id: str | None) -> dict[str, str]:
        labels = {"component": _label(self.component)}
        if tenant_id:
            labels["tenant"] = _label(tenant_id)
        return labels

    def _existing_keys(self, spec: TableSpec, rows: list[tuple[str, dict[str, Any]]]) -> set[str]:
        """Keys of `rows` already in the table; reads only their partitions and tenants."""
        key_sql = _key_expression(spec)
        partition = spec.partition_column
        days = sorted({str(row[partition])[:10] for _, row in rows})
        sql = (
            f"SELECT {key_sql} AS k FROM `{self._table_id(spec.name)}` "
            f"WHERE DATE({partition}) BETWEEN @first_day AND @last_day "
            f"AND tenant_id IN UNNEST(@tenants) AND {key_sql} IN UNNEST(@keys)"
        )
        params = [
            QueryParameter.of("first_day", days[0], "DATE"),
            QueryParameter.of("last_day", days[-1], "DATE"),
            QueryParameter.of("tenants", sorted({row["tenant_id"] for _, row in rows})),
            QueryParameter.of("keys", [key for key, _ in rows], "ARRAY<STRING>"),
        ]
        _, found = self._run(sql, params, tenant_id=None, timeout_s=120)
        with _google_errors("read existing keys"):
            return {row["k"] for row in found}

    def _table_id(self, name: str) -> str:
        return f"{self.project}.{self.dataset}.{name}"


def bigquery_parameter(
    parameter: QueryParameter,
) -> bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter:
    """The client's typed parameter for one of ours."""
    if parameter.element_type != parameter.type:
        return bigquery.ArrayQueryParameter(
            parameter.name, parameter.element_type, parameter.value or []
        )
    return bigquery.ScalarQueryParameter(parameter.name, parameter.type, parameter.value)


_DRY_RUN_TIMEOUT_S = 60.0
_KEY_SEPARATOR = "\x1f"
_KEY_CHECK_ROWS = 10_000  # keys per existence check (one query parameter)
_STREAMING_ROWS = 500  # rows per insertAll request, as BigQuery recommends
_STREAMING_MAX_ROWS = 5_000  # larger batches go through a load job and MERGE
T = TypeVar("T")


def _key_expression(spec: TableSpec) -> str:
    """SQL that renders a row's key as one string, the same way `_key` does in Python."""
    parts = ", ".join(f"CAST({column} AS STRING)" for column in spec.key)
    return f"ARRAY_TO_STRING([{parts}], '{_KEY_SEPARATOR}')"


def _key(spec: TableSpec, row: Mapping[str, Any]) -> str:
    return _KEY_SEPARATOR.join(str(row[column]) for column in spec.key)


def _first_per_key(spec: TableSpec, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    batch: dict[str, dict[str, Any]] = {}
    for row in rows:
        batch.setdefault(_key(spec, row), row)
    return batch


def _last_per_key(spec: TableSpec, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {_key(spec, row): row for row in rows}


def _schema_field(column: Column) -> bigquery.SchemaField:
    mode = "REQUIRED" if column.required else "NULLABLE"
    return bigquery.SchemaField(column.name, column.type, mode=mode)


def _merge_sql(spec: TableSpec, target: str, staging: str, *, replace: bool) -> str:
    """MERGE of the staging table into the target by key: insert new keys, and update
    matches when `replace`."""
    matches = " AND ".join(f"t.`{c}` = s.`{c}`" for c in spec.key)
    updates = ", ".join(f"`{c}` = s.`{c}`" for c in spec.column_names if c not in spec.key)
    columns = ", ".join(f"`{c}`" for c in spec.column_names)
    values = ", ".join(f"s.`{c}`" for c in spec.column_names)
    update = f"WHEN MATCHED THEN UPDATE SET {updates} " if replace else ""
    return (
        f"MERGE `{target}` t USING `{staging}` s ON {matches} "
        f"{update}WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})"
    )


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _row_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _label(value: str) -> str:
    """A BigQuery label value: lowercase letters, digits, '_' and '-', at most 63 characters."""
    return _LABEL.sub("_", value.lower())[:63]


def _size(size: int) -> str:
    for unit, factor in (("TiB", 2**40), ("GiB", GIB), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} bytes"


@contextmanager
def _google_errors(action: str, *, timeout_s: float | None = None) -> Iterator[None]:
    """Turn the client's exceptions into sentences that say what to do."""
    try:
        yield
    except google_errors.Forbidden as error:
        raise LakeError(
            f"BigQuery denied access while trying to {action} ({error.message}); the "
            "credentials need roles/bigquery.jobUser and roles/bigquery.dataEditor."
        ) from None
    except (google_errors.DeadlineExceeded, TimeoutError) as error:
        limit = f" of {timeout_s:g} s" if timeout_s else ""
        raise QueryTimeout(
            f"BigQuery did not finish in time{limit} while trying to {action} ({error}); "
            "narrow the query or raise the timeout."
        ) from None
    except google_errors.GoogleAPICallError as error:
        reason = _reason(error)
        if reason == "bytesBilledLimitExceeded":
            raise QueryRefused(
                f"BigQuery stopped the query at the byte limit (max_bytes_billed): "
                f"{error.message}; narrow the date range."
            ) from None
        raise QueryFailed(f"BigQuery could not {action}: {error.message}") from None


def _reason(error: google_errors.GoogleAPICallError) -> str | None:
    errors = getattr(error, "errors", None) or []
    return errors[0].get("reason") if errors and isinstance(errors[0], dict) else None
