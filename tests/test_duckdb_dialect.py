"""Each fix of the BigQuery -> DuckDB rewrite layer, checked against BigQuery's documented results.

The expected values are what BigQuery returns for the same SQL (from its reference docs:
DAYOFWEEK is 1 = Sunday, WEEK counts Sunday-based weeks from 0, NUMERIC has 9 decimals, ...).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from marketing_intel.lake import DuckDBLake, QueryFailed, QueryRefused


def _value(lake: DuckDBLake, expression: str) -> Any:
    rows = lake.query(f"SELECT {expression} AS v", tenant_id="t").rows()
    return rows[0]["v"]


@pytest.mark.parametrize(
    ("expression", "bigquery_result"),
    [
        # NUMERIC keeps 9 decimals (DuckDB's bare DECIMAL would give 10.123).
        ("CAST('10.123456789' AS NUMERIC)", Decimal("10.123456789")),
        ("CAST('10.123456789' AS NUMERIC) * 3", Decimal("30.370370367")),
        # DATE functions on a DATE return a DATE.
        ("DATE_TRUNC(DATE '2026-03-17', MONTH)", dt.date(2026, 3, 1)),
        ("DATE_ADD(DATE '2026-03-17', INTERVAL 20 DAY)", dt.date(2026, 4, 6)),
        ("DATE_SUB(DATE '2026-03-17', INTERVAL 1 MONTH)", dt.date(2026, 2, 17)),
        # WEEK starts on Sunday; WEEK(<day>) on that day. 2026-03-18 is a Wednesday.
        ("DATE_TRUNC(DATE '2026-03-18', WEEK)", dt.date(2026, 3, 15)),
        ("DATE_TRUNC(DATE '2026-03-15', WEEK)", dt.date(2026, 3, 15)),
        ("DATE_TRUNC(DATE '2026-03-18', WEEK(MONDAY))", dt.date(2026, 3, 16)),
        ("DATE_TRUNC(DATE '2026-03-15', WEEK(MONDAY))", dt.date(2026, 3, 9)),
        ("DATE_TRUNC(DATE '2026-03-18', WEEK(FRIDAY))", dt.date(2026, 3, 13)),
        ("DATE_TRUNC(DATE '2026-03-18', ISOWEEK)", dt.date(2026, 3, 16)),
        # DAYOFWEEK: Sunday = 1 .. Saturday = 7.
        ("EXTRACT(DAYOFWEEK FROM DATE '2026-03-15')", 1),
        ("EXTRACT(DAYOFWEEK FROM DATE '2026-03-21')", 7),
        ("EXTRACT(DAYOFWEEK FROM TIMESTAMP '2026-03-18 23:30:00+00')", 4),
        # WEEK: Sunday-based, days before the year's first Sunday are week 0.
        # 2026-01-01 is a Thursday; the first Sunday is 2026-01-04.
        ("EXTRACT(WEEK FROM DATE '2026-01-03')", 0),
        ("EXTRACT(WEEK FROM DATE '2026-01-04')", 1),
        ("EXTRACT(WEEK(MONDAY) FROM DATE '2026-01-05')", 1),
        ("EXTRACT(ISOWEEK FROM DATE '2026-01-01')", 1),
        # ARRAY_AGG(... LIMIT n) keeps the first n.
        ("(SELECT ARRAY_AGG(x ORDER BY x DESC LIMIT 2) FROM UNNEST([3, 1, 2]) AS x)", [3, 2]),
        # SAFE_DIVIDE and IEEE_DIVIDE behave as documented.
        ("SAFE_DIVIDE(1, 0)", None),
        ("IEEE_DIVIDE(1, 0)", float("inf")),
        ("7 / 2", 3.5),
        # TIMESTAMP_DIFF counts whole units elapsed, not boundaries crossed.
        (
            "TIMESTAMP_DIFF(TIMESTAMP '2026-11-27 00:00:00+00', "
            "TIMESTAMP '2026-11-26 23:51:53+00', HOUR)",
            0,
        ),
        (
            "TIMESTAMP_DIFF(TIMESTAMP '2026-01-01 10:00:01.1+00', "
            "TIMESTAMP '2026-01-01 10:00:00.9+00', SECOND)",
            0,
        ),
        (
            "TIMESTAMP_DIFF(TIMESTAMP '2026-01-02 09:00:00+00', "
            "TIMESTAMP '2026-01-01 10:00:00+00', DAY)",
            0,
        ),
        # DIV divides its whole arguments (sqlglot wrote `a * 50 + 99 // 100`).
        ("DIV(3 * 50 + 99, 100)", 2),
        ("DIV(-7, 2)", -3),
        # Integer aggregates are INT64, not DuckDB's HUGEINT (a Decimal in Python).
        ("(SELECT SUM(x) FROM UNNEST([1, 2, 3]) AS x)", 6),
        ("(SELECT COUNTIF(x > 1) FROM UNNEST([1, 2, 3]) AS x)", 2),
        # Parameters-free basics that sqlglot already translates.
        ("FORMAT_DATE('%Y-%m', DATE '2026-03-18')", "2026-03"),
        ("DATE_DIFF(DATE '2026-03-18', DATE '2026-03-01', DAY)", 17),
    ],
)
def test_rewrite_matches_bigquery(lake: DuckDBLake, expression: str, bigquery_result: Any) -> None:
    value = _value(lake, expression)
    assert value == bigquery_result
    assert type(value) is type(bigquery_result)


def test_division_by_zero_raises_as_in_bigquery(lake: DuckDBLake) -> None:
    with pytest.raises(QueryFailed, match="division by zero: use SAFE_DIVIDE"):
        _value(lake, "1 / 0")


def test_numeric_columns_keep_nine_decimals(lake: DuckDBLake) -> None:
    row = {
        "tenant_id": "t",
        "platform": "meta",
        "campaign_id": "c",
        "date": "2026-01-01",
        "impressions": 1,
        "clicks": 1,
        "conversions": 1,
        "spend": "0.123456789",
        "revenue": "12345678901234567890.5",
        "currency": "USD",
        "updated_at": "2026-01-02T00:00:00Z",
    }
    lake.insert("campaign_metrics", [row])
    rows = lake.query("SELECT spend, revenue FROM campaign_metrics", tenant_id="t").rows()
    assert rows == [{"spend": Decimal("0.123456789"), "revenue": Decimal("12345678901234567890.5")}]


def test_typed_parameters_are_cast_as_bigquery_types_them(lake: DuckDBLake) -> None:
    from marketing_intel.lake.parameters import parse

    sql = "SELECT @d + 1 AS next_day, @n * 2 AS doubled, ARRAY_LENGTH(@ids) AS ids"
    params = [parse("d=2026-01-31"), parse("n:NUMERIC=0.000000001"), parse("ids:ARRAY<INT64>=1,2")]
    row = lake.query(sql, params, tenant_id="t").rows()[0]
    assert row == {"next_day": dt.date(2026, 2, 1), "doubled": Decimal("0.000000002"), "ids": 2}


@pytest.mark.parametrize(
    "expression", ["current_setting('threads')", "getenv('HOME')", "read_text('/etc/passwd')"]
)
def test_engine_functions_unknown_to_bigquery_are_refused(
    lake: DuckDBLake, expression: str
) -> None:
    with pytest.raises(QueryRefused, match="not a BigQuery function"):
        _value(lake, expression)
