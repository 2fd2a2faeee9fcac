"""The embedded lake: keyed inserts, validation, limits, concurrency and the engine sandbox."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from marketing_intel.lake import (
    DuckDBLake,
    InvalidRows,
    LakeBusy,
    LakeError,
    QueryLimits,
    QueryTimeout,
)
from marketing_intel.lake.schema import lake_tables
from marketing_intel.lake.watchdog import Watchdog


def event(event_id: str, tenant: str = "t", **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "event_id": event_id,
        "tenant_id": tenant,
        "platform": "shopify",
        "event_type": "order_created",
        "occurred_at": "2026-01-05T10:00:00Z",
        "received_at": "2026-01-05T10:00:02Z",
        "value": "19.99",
        "currency": "USD",
        "status": "ok",
        "attributes": {"items": 2},
    }
    row.update(overrides)
    return row


def test_schema_is_applied_idempotently(lake: DuckDBLake) -> None:
    lake.apply_schema()
    lake.apply_schema()
    assert lake.row_counts() == dict.fromkeys(lake_tables(), 0)


def test_reinserting_rows_with_the_same_keys_changes_nothing(lake: DuckDBLake) -> None:
    first = lake.insert("platform_events", [event("e1"), event("e2"), event("e1", value="5")])
    assert (first.received, first.inserted, first.duplicates) == (3, 2, 1)
    again = lake.insert("platform_events", [event("e1", value="1000"), event("e2")])
    assert again.inserted == 0
    rows = lake.query("SELECT event_id, value FROM platform_events ORDER BY 1", tenant_id="t")
    assert [(r["event_id"], str(r["value"])) for r in rows.rows()] == [
        ("e1", "19.990000000"),
        ("e2", "19.990000000"),
    ]
    # The key includes the tenant: the same event id of another tenant is another row.
    assert lake.insert("platform_events", [event("e1", tenant="u")]).inserted == 1


def test_bad_rows_are_reported_by_number_and_nothing_is_written(lake: DuckDBLake) -> None:
    rows = [
        event("e1"),
        event("e2", occurred_at="yesterday"),
        event("e3", status=None),
        event("e4", colour="red"),
        event("e5", value="1.0000000001"),
        event("e6", attributes="{not json"),
    ]
    with pytest.raises(InvalidRows) as invalid:
        lake.insert("platform_events", rows)
    assert [row for row, _ in invalid.value.problems] == [2, 3, 4, 5, 6]
    message = str(invalid.value)
    assert "row 2: occurred_at:" in message
    assert "row 3: status: is required" in message
    assert "row 4: unknown column(s) colour" in message
    assert "row 6: attributes: not a JSON document" in message
    assert "nothing was loaded" in message
    assert lake.row_counts()["platform_events"] == 0


def test_arrow_batches_are_cast_to_the_schema_and_checked(lake: DuckDBLake) -> None:
    table = pa.Table.from_pylist([event("e1"), event("e2")]).drop_columns(["attributes"])
    table = table.append_column("attributes", pa.array(['{"a": 1}', None]))
    assert lake.insert("platform_events", table).inserted == 2
    missing = pa.table({"event_id": ["x"]})
    with pytest.raises(InvalidRows, match="missing column"):
        lake.insert("platform_events", missing)
    nulls = pa.Table.from_pylist(
        [event("e3", attributes=None), event("e4", attributes=None, status=None)]
    )
    with pytest.raises(InvalidRows, match="row 2: status: is required"):
        lake.insert("platform_events", nulls)


def test_row_limit_cuts_rows_and_says_so(lake: DuckDBLake) -> None:
    lake.insert("platform_events", [event(f"e{i}") for i in range(25)])
    result = lake.query(
        "SELECT event_id FROM platform_events", tenant_id="t", limits=QueryLimits(row_limit=10)
    )
    assert result.statistics.rows == 10 and result.statistics.truncated
    small = lake.query(
        "SELECT event_id FROM platform_events LIMIT 3", tenant_id="t", limits=QueryLimits(10)
    )
    assert small.statistics.rows == 3 and not small.statistics.truncated


def test_a_slow_query_is_cancelled_at_its_timeout(lake: DuckDBLake) -> None:
    slow = (
        "SELECT COUNT(*) AS n FROM UNNEST(GENERATE_ARRAY(1, 50000)) AS a, "
        "UNNEST(GENERATE_ARRAY(1, 50000)) AS b WHERE MOD(a * b, 7) = 3"
    )
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"0\.3 s timeout"):
        lake.query(slow, tenant_id="t", limits=QueryLimits(timeout_s=0.3))
    assert time.monotonic() - started < 5
    # The lake is usable right after.
    assert lake.query("SELECT 1 AS x", tenant_id="t").rows() == [{"x": 1}]


_HOLD_LOCK = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.close()
"""


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_a_writer_in_another_process_is_waited_for(tmp_path: Path) -> None:
    lake = DuckDBLake(tmp_path / "lake.duckdb", busy_timeout_s=20)
    lake.apply_schema()
    lake.close()  # release the file so the other process can take it
    holder = _hold_lock(lake.path, 1.5)
    started = time.monotonic()
    assert lake.insert("platform_events", [event("e1")]).inserted == 1
    assert time.monotonic() - started > 0.5  # it waited for the other process
    holder.wait(timeout=10)


def test_an_idle_lake_releases_its_file_to_other_processes(tmp_path: Path) -> None:
    lake = DuckDBLake(tmp_path / "lake.duckdb", idle_s=0.2)
    lake.insert("platform_events", [event("e1")])
    time.sleep(0.6)
    holder = _hold_lock(lake.path, 0)  # would fail to lock while this process held the file
    holder.wait(timeout=10)
    assert holder.returncode == 0


def test_a_lake_held_too_long_gives_a_clear_error(tmp_path: Path) -> None:
    lake = DuckDBLake(tmp_path / "lake.duckdb", busy_timeout_s=0.5)
    lake.apply_schema()
    lake.close()
    holder = _hold_lock(lake.path, 5)
    try:
        with pytest.raises(LakeBusy, match="stayed locked by another process"):
            lake.insert("platform_events", [event("e1")])
    finally:
        holder.kill()
        holder.wait()


def test_concurrent_writers_in_one_process_are_serialized(lake: DuckDBLake) -> None:
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for batch in range(5):
                rows = [event(f"e{i}") for i in range(worker * 3 + batch, 60, 7)]
                lake.insert("platform_events", rows)
        except BaseException as error:  # collected for the assertion
            failures.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    result = lake.query(
        "SELECT COUNT(DISTINCT event_id) AS d, COUNT(*) AS n FROM platform_events", tenant_id="t"
    )
    distinct, total = result.rows()[0].values()
    assert distinct == total  # no key was written twice


def test_the_engine_itself_cannot_reach_files_or_change_settings(lake: DuckDBLake) -> None:
    # Defence in depth: even SQL that got past the guard meets a sandboxed engine.
    with lake._connect() as connection:
        with pytest.raises(duckdb.PermissionException):
            connection.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
        with pytest.raises(duckdb.Error, match="locked"):
            connection.execute("SET enable_external_access = true")


def _metrics(campaign: str, day: str, spend: str) -> dict[str, object]:
    return {
        "tenant_id": "t",
        "platform": "meta",
        "campaign_id": campaign,
        "date": day,
        "impressions": 100,
        "clicks": 5,
        "conversions": 1,
        "spend": spend,
        "revenue": "10",
        "currency": "USD",
        "updated_at": "2026-01-10T00:00:00Z",
    }


def test_upsert_replaces_restated_rows_and_keeps_the_last_of_a_key(lake: DuckDBLake) -> None:
    lake.insert(
        "campaign_metrics", [_metrics("c1", "2026-01-01", "1"), _metrics("c1", "2026-01-02", "2")]
    )
    restated = [
        _metrics("c1", "2026-01-02", "20"),
        _metrics("c1", "2026-01-03", "3"),
        _metrics("c1", "2026-01-03", "30"),  # a later row of the same key wins
    ]
    result = lake.upsert("campaign_metrics", restated)
    assert (result.received, result.inserted, result.replaced, result.duplicates) == (3, 1, 1, 1)
    rows = lake.query(
        "SELECT date, spend FROM campaign_metrics ORDER BY date", tenant_id="t"
    ).rows()
    assert [(str(r["date"]), int(r["spend"])) for r in rows] == [
        ("2026-01-01", 1),
        ("2026-01-02", 20),
        ("2026-01-03", 30),
    ]


def test_a_failed_upsert_changes_nothing(lake: DuckDBLake) -> None:
    lake.insert("campaign_metrics", [_metrics("c1", "2026-01-01", "1")])
    # A NOT NULL violation only the engine sees (the batch passes validation as Arrow).
    batch = pa.Table.from_pylist([_metrics("c1", "2026-01-01", "5")])
    with lake._connect() as connection:
        connection.execute("ALTER TABLE campaign_metrics ADD COLUMN guard INT64 DEFAULT 1")
        connection.execute("ALTER TABLE campaign_metrics ALTER COLUMN guard SET NOT NULL")
        connection.execute("ALTER TABLE campaign_metrics ALTER COLUMN guard DROP DEFAULT")
    with pytest.raises(LakeError, match="Rows could not be written to campaign_metrics"):
        lake.upsert("campaign_metrics", batch)
    rows = lake.query("SELECT spend FROM campaign_metrics", tenant_id="t").rows()
    assert [int(r["spend"]) for r in rows] == [
        1
    ]  # the DELETE before the failing INSERT rolled back


def test_the_watchdog_runs_due_callbacks_in_order_and_skips_cancelled_ones() -> None:
    watchdog = Watchdog()
    ran: list[str] = []
    done = threading.Event()

    def failing() -> None:
        ran.append("failing")
        raise RuntimeError("a broken callback")

    watchdog.call_later(0.2, lambda: (ran.append("last"), done.set()))
    watchdog.call_later(0.1, lambda: ran.append("second"))
    watchdog.call_later(0.05, failing)  # ...does not stop the ones after it
    watchdog.call_later(0.01, lambda: ran.append("first"))
    watchdog.call_later(0.02, lambda: ran.append("cancelled")).cancel()
    assert done.wait(timeout=10)
    assert ran == ["first", "failing", "second", "last"]
