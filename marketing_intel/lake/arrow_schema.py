"""Arrow schemas of the lake tables, derived from the DDL (`schema.sql`) via `TableSpec`.

One mapping from BigQuery types to Arrow types, so every producer of lake rows (the demo generator,
ingestion, the DuckDB lake) builds batches that load without casts.
"""

from __future__ import annotations

import pyarrow as pa

from marketing_intel.lake.schema import TableSpec

# NUMERIC is BigQuery's decimal(38, 9); JSON travels as its document text.
ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "FLOAT64": pa.float64(),
    "NUMERIC": pa.decimal128(38, 9),
    "BOOL": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "JSON": pa.string(),
}


def arrow_schema(spec: TableSpec) -> pa.Schema:
    """The Arrow schema of a lake table: DDL column order, NOT NULL columns non-nullable."""
    fields = [
        pa.field(column.name, ARROW_TYPES[column.type], nullable=not column.required)
        for column in spec.columns
    ]
    return pa.schema(fields)
