"""Rows from people and platforms, checked against a lake table's schema before anything is written.

Both loaders (CSV, JSON lines, Parquet) and ingestion hand rows here as dictionaries; the result is
an Arrow table in the lake's schema, or `InvalidRows` listing every bad row by number. Nothing is
half-loaded because nothing is written until every row has passed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from marketing_intel.lake.arrow_schema import arrow_schema
from marketing_intel.lake.errors import InvalidRows
from marketing_intel.lake.parameters import coerce_scalar
from marketing_intel.lake.schema import Column, TableSpec


def validated_arrow(spec: TableSpec, rows: pa.Table | Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows of any accepted form (an Arrow table or dictionaries) checked and typed for `spec`."""
    if isinstance(rows, pa.Table):
        return conform_arrow(spec, rows)
    return rows_to_arrow(spec, enumerate(rows, start=1))


def rows_to_arrow(spec: TableSpec, rows: Iterable[tuple[int, Mapping[str, Any]]]) -> pa.Table:
    """Validate every (row number, row) pair and return the rows as an Arrow table."""
    known = set(spec.column_names)
    columns: dict[str, list[Any]] = {name: [] for name in spec.column_names}
    problems: list[tuple[int | None, str]] = []
    for number, row in rows:
        if not isinstance(row, Mapping):
            problems.append((number, "not an object of column values"))
            continue
        unknown = sorted(set(row) - known)
        if unknown:
            problems.append((number, f"unknown column(s) {', '.join(unknown)}"))
            continue
        values, errors = _row_values(spec, row)
        if errors:
            problems.append((number, "; ".join(errors)))
            continue
        for name, value in zip(spec.column_names, values, strict=True):
            columns[name].append(value)
    if problems:
        raise InvalidRows(spec.name, problems)
    return pa.table(columns, schema=arrow_schema(spec))


def _row_values(spec: TableSpec, row: Mapping[str, Any]) -> tuple[list[Any], list[str]]:
    values: list[Any] = []
    errors: list[str] = []
    for column in spec.columns:
        try:
            values.append(_value(column, row.get(column.name)))
        except ValueError as error:
            errors.append(f"{column.name}: {error}")
    return values, errors


def _value(column: Column, raw: Any) -> Any:
    # An empty CSV cell is NULL for every type but STRING, where it is an empty string.
    if raw is None or (raw == "" and column.type != "STRING"):
        if column.required:
            raise ValueError("is required")
        return None
    if column.type == "JSON":
        return _json_text(raw)
    value = coerce_scalar(column.type, raw)
    return _storable(value) if isinstance(value, str) else value


def _storable(text: str) -> str:
    """`text`, if the lake can hold it: no engine stores NUL or a lone UTF-16 surrogate (JSON can
    carry both as escapes), so a row holding one is refused whole, never stored changed."""
    if "\x00" in text:
        raise ValueError("holds a NUL character, which the lake cannot store; remove it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            "holds a lone UTF-16 surrogate, which is not text the lake can store; send valid "
            "Unicode"
        ) from None
    return text


def _json_text(raw: Any) -> str:
    if isinstance(raw, str):
        try:
            json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValueError(f"not a JSON document ({error.msg})") from None
        return raw
    return json.dumps(raw, separators=(",", ":"), sort_keys=True, default=str)


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as JSON-ready dictionaries, the way BigQuery's API takes them: NUMERIC as a decimal
    string (no float rounding), dates and timestamps in ISO 8601, JSON columns as their text."""
    return [{name: _json_ready(value) for name, value in row.items()} for row in table.to_pylist()]


def _json_ready(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):  # dates and datetimes
        return value.isoformat()
    return value


def conform_arrow(spec: TableSpec, table: pa.Table) -> pa.Table:
    """An Arrow table cast to the lake table's schema; missing optional columns become NULL."""
    unknown = sorted(set(table.column_names) - set(spec.column_names))
    missing = [c.name for c in spec.columns if c.required and c.name not in table.column_names]
    problems = [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
    problems += [f"missing column(s) {', '.join(missing)}"] if missing else []
    if problems:
        raise InvalidRows(spec.name, [(None, "; ".join(problems))])
    schema = arrow_schema(spec)
    arrays = []
    for field in schema:
        if field.name not in table.column_names:
            arrays.append(pa.nulls(table.num_rows, field.type))
            continue
        arrays.append(_cast_column(spec, table.column(field.name), field))
    return pa.Table.from_arrays(arrays, schema=schema)


def _cast_column(spec: TableSpec, values: pa.ChunkedArray, field: pa.Field) -> pa.ChunkedArray:
    try:
        cast = values.cast(field.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise InvalidRows(spec.name, [(None, f"{field.name}: {error}")]) from None
    if not field.nullable and cast.null_count:
        first_null = pc.index(pc.is_null(cast), True).as_py() + 1
        raise InvalidRows(spec.name, [(first_null, f"{field.name}: is required")])
    return cast
