"""Smoke tests of the BigQuery emulator fixture, with the real google-cloud-bigquery client.

They assert only what local-bigquery 0.4.0 does the same as BigQuery. Every call has a short retry
deadline and timeout, so an emulator error fails in seconds instead of the client's 600 s retries,
and reads pass ``create_bqstorage_client=False`` (the Storage Read API is not reachable here).

Emulator gaps (measured against local-bigquery 0.4.0 on DuckDB 1.5.5; not asserted here, so tests
of our code must not rely on them):

===========================================  ============================  =========================
Behaviour                                    BigQuery                      local-bigquery 0.4.0
===========================================  ============================  =========================
dry run ``total_bytes_processed``            bytes the query would scan    always 0
``maximum_bytes_billed`` (e.g. 1)            job fails (bytes limit)       accepted, not enforced
``job_timeout_ms`` (e.g. 1)                  job cancelled after timeout   accepted, not enforced
``NUMERIC * NUMERIC``                        NUMERIC, rounded to scale 9   more digits:
                                                                           10.123456789 * 1.5 =
                                                                           15.1851851835
``SAFE_DIVIDE`` on NUMERIC                   NUMERIC                       FLOAT64
``STRUCT(1, 'a')`` (fields without names)    anonymous fields              ``_field_1``/``_field_2``
``_PARTITIONTIME`` pseudo-column             exists (ingestion-time        "Unrecognized name"
                                             partitioned tables)
===========================================  ============================  =========================

The same as BigQuery (asserted below or checked once by hand): ``EXTRACT(DAYOFWEEK FROM DATE
'2026-03-15')`` = 1, ``EXTRACT(WEEK FROM DATE '2026-01-03')`` = 0, ``DATE_TRUNC(d, WEEK)`` gives the
Sunday and ``WEEK(MONDAY)`` the Monday, ``CAST('10.123456789' AS NUMERIC)`` keeps 9 digits,
``SAFE_DIVIDE(1, 0)`` is NULL, ``1/0`` and INT64 overflow raise, ``ARRAY_AGG(x ORDER BY x DESC
LIMIT 2)``, a NULL in ARRAY_AGG raises, ``insert_rows_json`` row ids dedupe and unknown fields are
rejected, dataset/table/job labels and ``maximum_bytes_billed`` are accepted and kept, PARTITION BY
DATE(ts) CLUSTER BY is reported by ``get_table``, MERGE counts affected rows, DATE_ADD clamps to the
month's end, ROUND and CAST to INT64 round half away from zero, QUALIFY, APPROX_QUANTILES,
JSON_VALUE, GENERATE_DATE_ARRAY, and DataFrame dtypes (dbdate, object for NUMERIC, Int64).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from google.api_core.exceptions import BadRequest
from google.cloud import bigquery
from google.cloud.bigquery import DEFAULT_RETRY

from tests.bigquery_emulator import BigQueryEmulator

RETRY = DEFAULT_RETRY.with_deadline(20)
TIMEOUT_S = 20.0
UTC = dt.UTC


@pytest.fixture(scope="module")
def client(bigquery_emulator: BigQueryEmulator) -> bigquery.Client:
    """A real client pointed at the session's emulator."""
    return bigquery_emulator.client()


@pytest.fixture(scope="module")
def dataset(client: bigquery.Client) -> Iterator[str]:
    """A dataset for this module (``project.dataset``), deleted with its tables afterwards."""
    dataset_id = f"{client.project}.smoke_{uuid.uuid4().hex[:8]}"
    created = bigquery.Dataset(dataset_id)
    created.labels = {"team": "marketing-intel"}
    client.create_dataset(created, retry=RETRY, timeout=TIMEOUT_S)
    yield dataset_id
    client.delete_dataset(dataset_id, delete_contents=True, retry=RETRY, timeout=TIMEOUT_S)


def query(
    client: bigquery.Client, sql: str, job_config: bigquery.QueryJobConfig | None = None
) -> tuple[bigquery.QueryJob, list[tuple[Any, ...]]]:
    """Run ``sql`` with short deadlines; the finished job and its rows as tuples."""
    job = client.query(sql, job_config=job_config, retry=RETRY, job_retry=None, timeout=TIMEOUT_S)
    rows = [tuple(row.values()) for row in job.result(retry=RETRY, timeout=TIMEOUT_S)]
    return job, rows


def scalar(client: bigquery.Client, sql: str) -> Any:
    """The single value ``sql`` returns."""
    _, rows = query(client, sql)
    assert len(rows) == 1
    assert len(rows[0]) == 1
    return rows[0][0]


def make_events(client: bigquery.Client, dataset: str, rows: Sequence[dict[str, Any]]) -> str:
    """A fresh partitioned, clustered events table holding ``rows``; its full id."""
    table_id = f"{dataset}.events_{uuid.uuid4().hex[:8]}"
    query(
        client,
        f"CREATE TABLE `{table_id}` (event_id STRING NOT NULL, ts TIMESTAMP, channel STRING, "
        "spend NUMERIC, clicks INT64) PARTITION BY DATE(ts) CLUSTER BY channel",
    )
    if rows:
        errors = client.insert_rows_json(
            table_id,
            list(rows),
            row_ids=[row["event_id"] for row in rows],
            retry=RETRY,
            timeout=TIMEOUT_S,
        )
        assert errors == []
    return table_id


EVENTS = [
    {
        "event_id": "e1",
        "ts": "2026-03-15T10:00:00Z",
        "channel": "search",
        "spend": "10.123456789",
        "clicks": 3,
    },
    {
        "event_id": "e2",
        "ts": "2026-03-16T11:30:00Z",
        "channel": "social",
        "spend": "2.5",
        "clicks": 1,
    },
    {
        "event_id": "e3",
        "ts": "2026-03-17T09:00:00Z",
        "channel": "search",
        "spend": "0",
        "clicks": 0,
    },
]


def test_dataset_is_created_with_labels(client: bigquery.Client, dataset: str) -> None:
    """create_dataset works and keeps its labels."""
    assert client.get_dataset(dataset, retry=RETRY, timeout=TIMEOUT_S).labels == {
        "team": "marketing-intel"
    }


def test_partitioned_clustered_table(client: bigquery.Client, dataset: str) -> None:
    """CREATE TABLE ... PARTITION BY DATE(ts) CLUSTER BY is reported back by get_table."""
    table = client.get_table(make_events(client, dataset, []), retry=RETRY, timeout=TIMEOUT_S)
    assert table.time_partitioning is not None
    assert table.time_partitioning.type_ == bigquery.TimePartitioningType.DAY
    assert table.time_partitioning.field == "ts"
    assert table.clustering_fields == ["channel"]
    assert [(field.name, field.field_type, field.mode) for field in table.schema] == [
        ("event_id", "STRING", "REQUIRED"),
        ("ts", "TIMESTAMP", "NULLABLE"),
        ("channel", "STRING", "NULLABLE"),
        ("spend", "NUMERIC", "NULLABLE"),
        ("clicks", "INTEGER", "NULLABLE"),
    ]


def test_insert_rows_json_dedupes_row_ids(client: bigquery.Client, dataset: str) -> None:
    """A retried streaming insert with the same row ids adds nothing (BigQuery's dedupe)."""
    table_id = make_events(client, dataset, EVENTS)
    again = client.insert_rows_json(
        table_id,
        EVENTS,
        row_ids=[row["event_id"] for row in EVENTS],
        retry=RETRY,
        timeout=TIMEOUT_S,
    )
    assert again == []
    assert scalar(client, f"SELECT COUNT(*) FROM `{table_id}`") == len(EVENTS)


def test_insert_rows_json_rejects_unknown_fields(client: bigquery.Client, dataset: str) -> None:
    """A row with a field the table lacks is reported per row, as by BigQuery."""
    table_id = make_events(client, dataset, [])
    errors = client.insert_rows_json(
        table_id, [{"event_id": "x", "nope": 1}], retry=RETRY, timeout=TIMEOUT_S
    )
    assert errors[0]["index"] == 0
    assert errors[0]["errors"][0]["reason"] == "invalid"
    assert errors[0]["errors"][0]["location"] == "nope"


def test_named_typed_parameters(client: bigquery.Client, dataset: str) -> None:
    """Named STRING, INT64, NUMERIC, DATE, TIMESTAMP and ARRAY<STRING> parameters bind typed."""
    table_id = make_events(client, dataset, EVENTS)
    config = bigquery.QueryJobConfig(
        query_parameters=[
            bigquery.ScalarQueryParameter("channel", "STRING", "search"),
            bigquery.ScalarQueryParameter("extra", "INT64", 2),
            bigquery.ScalarQueryParameter("bonus", "NUMERIC", Decimal("1.5")),
            bigquery.ScalarQueryParameter("day", "DATE", dt.date(2026, 3, 15)),
            bigquery.ScalarQueryParameter(
                "since", "TIMESTAMP", dt.datetime(2026, 3, 15, tzinfo=UTC)
            ),
            bigquery.ArrayQueryParameter("ids", "STRING", ["e1", "e2"]),
        ]
    )
    _, rows = query(
        client,
        "SELECT event_id, spend + @bonus, clicks + @extra, DATE(ts) = @day, ts >= @since, @day "
        f"FROM `{table_id}` WHERE channel = @channel AND event_id IN UNNEST(@ids)",
        config,
    )
    assert rows == [("e1", Decimal("11.623456789"), 5, True, True, dt.date(2026, 3, 15))]


def test_merge(client: bigquery.Client, dataset: str) -> None:
    """MERGE updates matched rows, inserts the others and counts both."""
    table_id = make_events(client, dataset, EVENTS[:2])
    job, _ = query(
        client,
        f"MERGE `{table_id}` AS t "
        "USING (SELECT 'e1' AS event_id, 10 AS clicks UNION ALL SELECT 'e9', 7) AS s "
        "ON t.event_id = s.event_id "
        "WHEN MATCHED THEN UPDATE SET clicks = s.clicks "
        "WHEN NOT MATCHED THEN INSERT (event_id, clicks) VALUES (s.event_id, s.clicks)",
    )
    assert job.num_dml_affected_rows == 2
    _, rows = query(client, f"SELECT event_id, clicks FROM `{table_id}` ORDER BY event_id")
    assert rows == [("e1", 10), ("e2", 1), ("e9", 7)]


@pytest.mark.filterwarnings("ignore:Retrieving DataFrames:PendingDeprecationWarning")
def test_to_arrow_and_dataframe(client: bigquery.Client, dataset: str) -> None:
    """Results read over REST keep BigQuery's types: NUMERIC as decimal, TIMESTAMP in UTC."""
    table_id = make_events(client, dataset, EVENTS)
    sql = f"SELECT event_id, ts, spend, clicks, DATE(ts) AS day FROM `{table_id}` ORDER BY event_id"
    result = client.query(sql, retry=RETRY, job_retry=None, timeout=TIMEOUT_S).result(
        retry=RETRY, timeout=TIMEOUT_S
    )
    table = result.to_arrow(create_bqstorage_client=False)
    assert table.schema.field("spend").type == pa.decimal128(38, 9)
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("clicks").type == pa.int64()
    assert table.schema.field("day").type == pa.date32()
    assert table.column("spend").to_pylist()[0] == Decimal("10.123456789")
    frame = (
        client.query(sql, retry=RETRY, job_retry=None, timeout=TIMEOUT_S)
        .result(retry=RETRY, timeout=TIMEOUT_S)
        .to_dataframe(create_bqstorage_client=False)
    )
    assert list(frame["event_id"]) == ["e1", "e2", "e3"]
    assert str(frame["clicks"].dtype) == "Int64"
    assert str(frame["day"].dtype) == "dbdate"


def test_dry_run(client: bigquery.Client, dataset: str) -> None:
    """A dry run validates the query and returns its schema without running it.

    BigQuery also estimates ``total_bytes_processed``; the emulator reports 0 (see the gaps).
    """
    table_id = make_events(client, dataset, EVENTS)
    config = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False)
    job = client.query(
        f"SELECT event_id, spend FROM `{table_id}`",
        job_config=config,
        retry=RETRY,
        job_retry=None,
        timeout=TIMEOUT_S,
    )
    assert job.state == "DONE"
    assert job.dry_run
    assert job.statement_type == "SELECT"
    assert isinstance(job.total_bytes_processed, int)
    assert [(field.name, field.field_type) for field in job.schema] == [
        ("event_id", "STRING"),
        ("spend", "NUMERIC"),
    ]
    with pytest.raises(BadRequest, match="Unrecognized name"):
        client.query(
            f"SELECT no_such_column FROM `{table_id}`",
            job_config=config,
            retry=RETRY,
            job_retry=None,
            timeout=TIMEOUT_S,
        )


def test_labels_and_maximum_bytes_billed_are_accepted(client: bigquery.Client) -> None:
    """Job labels come back on the job; maximum_bytes_billed is accepted (but not enforced)."""
    config = bigquery.QueryJobConfig(labels={"purpose": "smoke"}, maximum_bytes_billed=10**9)
    job, rows = query(client, "SELECT 1", config)
    assert rows == [(1,)]
    fetched = client.get_job(job.job_id, retry=RETRY, timeout=TIMEOUT_S)
    assert isinstance(fetched, bigquery.QueryJob)
    assert fetched.labels == {"purpose": "smoke"}
    assert fetched.maximum_bytes_billed == 10**9


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT EXTRACT(DAYOFWEEK FROM DATE '2026-03-15')", 1),  # a Sunday
        ("SELECT EXTRACT(WEEK FROM DATE '2026-01-03')", 0),  # before the year's first Sunday
        ("SELECT EXTRACT(ISOWEEK FROM DATE '2026-01-03')", 1),
        ("SELECT DATE_TRUNC(DATE '2026-03-18', WEEK)", dt.date(2026, 3, 15)),
        ("SELECT DATE_TRUNC(DATE '2026-03-18', WEEK(MONDAY))", dt.date(2026, 3, 16)),
        ("SELECT DATE_ADD(DATE '2026-01-31', INTERVAL 1 MONTH)", dt.date(2026, 2, 28)),
        ("SELECT DATE_DIFF(DATE '2026-03-15', DATE '2026-03-01', WEEK)", 2),
        ("SELECT CAST('10.123456789' AS NUMERIC)", Decimal("10.123456789")),
        ("SELECT SAFE_DIVIDE(1, 0)", None),
        ("SELECT ARRAY_AGG(x ORDER BY x DESC LIMIT 2) FROM UNNEST([1, 5, 3, 4]) AS x", [5, 4]),
        ("SELECT ROUND(2.5)", 3.0),
        ("SELECT CAST(-2.5 AS INT64)", -3),
        (
            "SELECT x FROM UNNEST([3, 1, 2]) AS x WHERE TRUE "
            "QUALIFY ROW_NUMBER() OVER (ORDER BY x) = 1",
            1,
        ),
        ("SELECT JSON_VALUE('{\"a\": {\"b\": 1}}', '$.a.b')", "1"),
    ],
)
def test_bigquery_semantics(client: bigquery.Client, sql: str, expected: object) -> None:
    """Functions whose BigQuery results differ from DuckDB's defaults come out as in BigQuery."""
    value = scalar(client, sql)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1 / 0", "division by zero"),
        ("SELECT CAST(9223372036854775807 AS INT64) + 1", "Overflow"),
        ("SELECT ARRAY_AGG(x) FROM UNNEST([1, NULL, 2]) AS x", "null element"),
    ],
)
def test_errors_as_in_bigquery(client: bigquery.Client, sql: str, message: str) -> None:
    """Queries that fail in BigQuery fail with a 400 here too, fast."""
    with pytest.raises(BadRequest, match=message):
        query(client, sql)
