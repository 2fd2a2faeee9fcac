"""The lake's tables, read from the one BigQuery DDL file (`schema.sql`).

The DDL is the single source of truth: column names, types, required columns and each table's
dedupe key are parsed out of it with sqlglot, so validation, inserts and both engines agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import sqlglot
from sqlglot import exp
from sqlglot.expressions.datatypes import DType

# BigQuery type names as sqlglot parses them (STRING -> TEXT, INT64 -> BIGINT, ...).
_BIGQUERY_TYPES: dict[DType, str] = {
    DType.TEXT: "STRING",
    DType.BIGINT: "INT64",
    DType.DOUBLE: "FLOAT64",
    DType.DECIMAL: "NUMERIC",
    DType.BOOLEAN: "BOOL",
    DType.DATE: "DATE",
    DType.TIMESTAMPTZ: "TIMESTAMP",
    DType.JSON: "JSON",
}


@dataclass(frozen=True)
class Column:
    """One column of a lake table, typed in BigQuery terms."""

    name: str
    type: str
    required: bool


@dataclass(frozen=True)
class TableSpec:
    """A lake table: its columns in DDL order, dedupe key, partition column and DDL statement."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    partition_column: str
    ddl: exp.Create

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names in DDL order."""
        return tuple(column.name for column in self.columns)


def _table_spec(ddl: exp.Create) -> TableSpec:
    schema = ddl.this
    columns: list[Column] = []
    key: tuple[str, ...] = ()
    for item in schema.expressions:
        if isinstance(item, exp.PrimaryKey):
            key = tuple(identifier.name for identifier in item.expressions)
            continue
        required = any(
            isinstance(constraint.args.get("kind"), exp.NotNullColumnConstraint)
            for constraint in item.constraints
        )
        columns.append(Column(item.name, _BIGQUERY_TYPES[item.kind.this], required))
    name = schema.this.name
    if not key:
        raise ValueError(f"schema.sql: table {name} has no PRIMARY KEY (...) NOT ENFORCED")
    return TableSpec(
        name=name,
        columns=tuple(columns),
        key=key,
        partition_column=_partition_column(name, ddl),
        ddl=ddl,
    )


def _partition_column(table: str, ddl: exp.Create) -> str:
    """The column of `PARTITION BY column` or `PARTITION BY DATE(column)`."""
    partition = ddl.find(exp.PartitionedByProperty)
    if partition is None:
        raise ValueError(f"schema.sql: table {table} has no PARTITION BY")
    if isinstance(partition.this, exp.Identifier):
        return partition.this.name
    column = partition.find(exp.Column)
    if column is None:
        raise ValueError(f"schema.sql: table {table} is not partitioned by a column")
    return column.name


@cache
def lake_tables() -> dict[str, TableSpec]:
    """All lake tables by name, parsed once from `schema.sql`."""
    text = resources.files(__package__).joinpath("schema.sql").read_text(encoding="utf-8")
    statements = sqlglot.parse(text, read="bigquery")
    specs = [_table_spec(s) for s in statements if isinstance(s, exp.Create)]
    return {spec.name: spec for spec in specs}


def table_spec(name: str) -> TableSpec:
    """The spec of lake table `name`, or a ValueError that lists the lake's tables."""
    tables = lake_tables()
    if name not in tables:
        raise ValueError(f"`{name}` is not a lake table; the lake has {', '.join(sorted(tables))}")
    return tables[name]
