"""Running a template's SQL: the queries of its spec (the built-in templates keep one `.sql` file
per query under `sql/<template>/`), BigQuery SQL with named parameters, through the lake's tenant
guard like every other query."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from marketing_intel.analysis.report import Window
from marketing_intel.analysis_templates import template_spec
from marketing_intel.lake import Lake, QueryLimits, QueryParameter

# Aggregates come back per campaign/day/segment: far below this, but a cap keeps a bad join
# from pulling a table into memory.
TEMPLATE_LIMITS = QueryLimits(row_limit=200_000, timeout_s=120)


def template_sql(template: str, name: str) -> str:
    """The SQL of the query `name` of the registered template `template`."""
    return template_spec(template).query(name)


def query_table(
    lake: Lake,
    template: str,
    name: str,
    *,
    tenant_id: str,
    window: Window,
    **parameters: Any,
) -> pa.Table:
    """The Arrow table of one template query for the tenant; @start_date and @end_date are the
    window's, other parameters are typed from their Python values (see `QueryParameter.of`)."""
    params = [
        QueryParameter.of("start_date", window.start),
        QueryParameter.of("end_date", window.end),
        *(QueryParameter.of(key, value) for key, value in parameters.items()),
    ]
    result = lake.query(
        template_sql(template, name), params, tenant_id=tenant_id, limits=TEMPLATE_LIMITS
    )
    return result.table


def query_rows(
    lake: Lake,
    template: str,
    name: str,
    *,
    tenant_id: str,
    window: Window,
    **parameters: Any,
) -> list[dict[str, Any]]:
    """`query_table` as dictionaries of Python values (Decimal, date, ...)."""
    table = query_table(lake, template, name, tenant_id=tenant_id, window=window, **parameters)
    return table.to_pylist()


def as_datetime(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """A watermark as a UTC datetime (a DATE counts as the end of that day)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.max, tzinfo=dt.UTC)
