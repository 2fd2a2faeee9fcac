"""BigQuery SQL to DuckDB SQL: sqlglot's transpiler plus the fixes for what it gets wrong.

sqlglot translates most BigQuery SQL faithfully. Each rewrite below fixes one case where the
result would otherwise differ from BigQuery, silently or loudly; each has its own test:

- NUMERIC is DECIMAL(38, 9) (DuckDB's bare DECIMAL is (18, 3) and truncates);
- DATE_TRUNC / DATE_ADD / DATE_SUB on a DATE return a DATE (DuckDB returns a TIMESTAMP);
- DATE_TRUNC(d, WEEK) starts weeks on Sunday, WEEK(<DAY>) on that day (DuckDB: always Monday);
- EXTRACT(DAYOFWEEK) counts Sunday = 1 .. Saturday = 7 (DuckDB: Sunday = 0);
- EXTRACT(WEEK) numbers Sunday-based weeks from 0 (DuckDB: ISO weeks); ISOWEEK is ISO;
- ARRAY_AGG(... LIMIT n) keeps the first n (DuckDB has no LIMIT there);
- DIV(a + b, c) divides the whole sum (sqlglot drops the parentheses);
- TIMESTAMP_DIFF counts whole units elapsed (DuckDB's DATE_DIFF counts boundaries crossed);
- `a / 0` raises an error as in BigQuery (DuckDB returns inf); IEEE_DIVIDE keeps inf;
- `@name` parameters are cast to their declared type, as BigQuery types them.

Functions sqlglot does not know (`exp.Anonymous`) would reach DuckDB verbatim, and DuckDB has
many that read files or settings; they are refused here unless rewritten above.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlglot import exp

from marketing_intel.lake.errors import QueryRefused

NUMERIC = exp.DataType.build("DECIMAL(38, 9)", dialect="duckdb")
_SCALARS = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "NUMERIC": "DECIMAL(38, 9)",
    "BOOL": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMPTZ",
}
_WEEKDAYS = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
_ELAPSED_UNITS = {"MICROSECOND", "MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY"}
# ISO parts DuckDB's EXTRACT does not name the BigQuery way.
_ISO_PARTS = {"ISOWEEK": "WEEKOFYEAR", "ISOYEAR": "ISOYEAR"}
# BigQuery functions sqlglot leaves as anonymous that this module rewrites.
_REWRITTEN_ANONYMOUS = {"IEEE_DIVIDE"}


def duckdb_type(bigquery_type: str) -> exp.DataType:
    """The DuckDB type of a BigQuery parameter type such as INT64 or ARRAY<DATE>."""
    if bigquery_type.startswith("ARRAY<"):
        return exp.DataType.build(f"{_SCALARS[bigquery_type[6:-1]]}[]", dialect="duckdb")
    return exp.DataType.build(_SCALARS[bigquery_type], dialect="duckdb")


def to_duckdb(query: exp.Expr, parameter_types: Mapping[str, str]) -> str:
    """DuckDB SQL for a guarded BigQuery query whose `@parameters` have the given types."""
    refuse_unknown_functions(query)
    tree = _bottom_up(query.copy(), lambda node: _rewrite(node, parameter_types))
    return tree.sql(dialect="duckdb", comments=False)


def _bottom_up(node: exp.Expr, rewrite: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """Rewrite children before their parent, so a rewrite that wraps a node (DATE_SUB in a
    CAST) still sees its arguments rewritten; sqlglot's `transform` skips a new node's children."""
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expr):
            node.set(key, _bottom_up(value, rewrite))
        elif isinstance(value, list):
            node.set(key, [_bottom_up(v, rewrite) if isinstance(v, exp.Expr) else v for v in value])
    return rewrite(node)


def refuse_unknown_functions(query: exp.Expr) -> None:
    """Refuse functions sqlglot does not know: DuckDB would run them as written."""
    for function in query.find_all(exp.Anonymous):
        name = function.name.upper()
        if name not in _REWRITTEN_ANONYMOUS:
            raise QueryRefused(
                f"`{name}` is not a BigQuery function the embedded lake can run; "
                "use a standard BigQuery function instead."
            )


def _rewrite(node: exp.Expr, parameter_types: Mapping[str, str]) -> exp.Expr:
    if isinstance(node, exp.Parameter):
        return exp.cast(node, duckdb_type(parameter_types[node.name]))
    if isinstance(node, exp.DataType) and node.is_type(exp.DataType.Type.DECIMAL):
        return NUMERIC.copy() if not node.expressions else node
    if isinstance(node, exp.DateTrunc):
        return _date_trunc(node)
    if isinstance(node, exp.DateAdd | exp.DateSub):
        return exp.cast(node, exp.DataType.build("DATE"))
    if isinstance(node, exp.Extract):
        return _extract(node)
    if isinstance(node, exp.IntDiv):
        # sqlglot writes DIV(a + b, c) as `a + b // c`: keep each side whole.
        node.set("this", exp.paren(node.this, copy=False))
        node.set("expression", exp.paren(node.expression, copy=False))
        return node
    if isinstance(node, exp.TimestampDiff | exp.DatetimeDiff):
        return _whole_units_between(node)
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Limit):
        return _array_agg_limit(node)
    if isinstance(node, exp.Div) and not node.args.get("safe"):
        return _checked_division(node)
    if isinstance(node, exp.Anonymous) and node.name.upper() == "IEEE_DIVIDE":
        left, right = node.expressions
        return exp.Div(this=exp.cast(left, "DOUBLE"), expression=right)
    return node


def _date_trunc(node: exp.DateTrunc) -> exp.Expression:
    unit = node.args.get("unit")
    day = _week_start(unit)
    date = exp.cast(node.this, exp.DataType.build("DATE"))
    if day is None:
        return exp.cast(node, exp.DataType.build("DATE"))
    # date - ((dayofweek(date) + 7 - start) % 7): the latest `start` day on or before date.
    offset = exp.Mod(
        this=exp.paren(
            exp.Add(
                this=exp.Anonymous(this="DAYOFWEEK", expressions=[date.copy()]),
                expression=exp.Literal.number(7 - _WEEKDAYS.index(day)),
            )
        ),
        expression=exp.Literal.number(7),
    )
    return exp.Sub(this=date, expression=exp.cast(offset, "INTEGER"))


def _week_start(unit: exp.Expression | None) -> str | None:
    """SUNDAY for WEEK, the named day for WEEK(<DAY>), None for other units."""
    if isinstance(unit, exp.WeekStart):
        return unit.name.upper()
    if unit is not None and unit.name.upper() == "WEEK":
        return "SUNDAY"
    return None


def _extract(node: exp.Extract) -> exp.Expression:
    part = node.this
    unit = part.name.upper()
    if isinstance(part, exp.WeekStart) or unit == "WEEK":
        day = _week_start(part) or "SUNDAY"
        if day not in ("SUNDAY", "MONDAY"):
            raise QueryRefused(
                f"EXTRACT(WEEK({day}) ...) is not supported by the embedded lake; "
                "use WEEK (Sunday) or WEEK(MONDAY)."
            )
        pattern = "%U" if day == "SUNDAY" else "%W"
        strftime = exp.Anonymous(
            this="STRFTIME", expressions=[node.expression, exp.Literal.string(pattern)]
        )
        return exp.cast(strftime, "BIGINT")
    if unit in _ISO_PARTS:
        return exp.Anonymous(this=_ISO_PARTS[unit], expressions=[node.expression])
    if unit == "DAYOFWEEK":
        weekday = exp.Anonymous(this="DAYOFWEEK", expressions=[node.expression])
        return exp.paren(exp.Add(this=weekday, expression=exp.Literal.number(1)))
    return node


def _whole_units_between(node: exp.TimestampDiff | exp.DatetimeDiff) -> exp.Expr:
    """TIMESTAMP_DIFF(a, b, unit) counts whole units elapsed (BigQuery), not unit boundaries
    crossed (DuckDB's DATE_DIFF: 23:59 to 00:01 is one hour there, zero in BigQuery)."""
    unit = node.args.get("unit")
    if not isinstance(unit, exp.Var) or unit.name.upper() not in _ELAPSED_UNITS:
        return node  # DATETIME_DIFF in weeks, months, ...: boundaries, as sqlglot renders it
    later, earlier = node.this, node.expression
    return exp.Anonymous(
        this="DATE_SUB", expressions=[exp.Literal.string(unit.name.lower()), earlier, later]
    )


def _array_agg_limit(node: exp.ArrayAgg) -> exp.Expression:
    limit = node.this
    count = limit.expression
    node.set("this", limit.this)
    return exp.Anonymous(this="LIST_SLICE", expressions=[node, exp.Literal.number(1), count])


def _checked_division(node: exp.Div) -> exp.Expression:
    """`a / b` that raises on a zero divisor, as BigQuery does, instead of returning inf."""
    divisor = node.expression
    error = exp.Anonymous(
        this="ERROR",
        expressions=[exp.Literal.string("division by zero: use SAFE_DIVIDE to get NULL instead")],
    )
    checked = exp.case().when(divisor.copy().eq(0), error).else_(divisor)
    node.set("expression", checked)
    return node


def ddl(create: exp.Create) -> str:
    """DuckDB DDL for a lake table's BigQuery CREATE TABLE (partitioning is BigQuery's alone)."""
    tree = create.copy()
    tree.set("properties", None)
    schema = tree.this
    schema.set("expressions", [c for c in schema.expressions if isinstance(c, exp.ColumnDef)])
    return _bottom_up(tree, lambda node: _rewrite(node, {})).sql(dialect="duckdb", comments=False)
