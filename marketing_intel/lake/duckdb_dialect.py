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
many that read files or settings; they are refused here unless rewritten above, as are the
ones sqlglot knows that tell the engine's catalog, schema, user or version.

GENERATE_ARRAY, GENERATE_DATE_ARRAY and GENERATE_TIMESTAMP_ARRAY raise an error past
`MAX_GENERATED_ELEMENTS` elements: DuckDB builds such a list outside its memory limit and
cannot interrupt the building (20 million elements took 2.4 GB and 10 s after an interrupt).
REPEAT, LPAD and RPAD likewise raise past `MAX_BUILT_TEXT_CHARS` characters.
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
# Functions that tell the engine's state (the lake file's name, schemas, version), not data.
_ENGINE_STATE = (
    exp.CurrentCatalog,
    exp.CurrentDatabase,
    exp.CurrentSchema,
    exp.CurrentSchemas,
    exp.CurrentUser,
    exp.CurrentRole,
    exp.CurrentVersion,
    exp.Version,
)
# One DuckDB vector (2,048 rows) of such arrays of 8-byte values stays within 1 GiB.
MAX_GENERATED_ELEMENTS = 65_536
_GENERATED_ARRAY_NAMES: dict[type[exp.Expr], str] = {
    exp.GenerateSeries: "GENERATE_ARRAY",
    exp.GenerateDateArray: "GENERATE_DATE_ARRAY",
    exp.GenerateTimestampArray: "GENERATE_TIMESTAMP_ARRAY",
}
_GENERATED_ARRAYS = tuple(_GENERATED_ARRAY_NAMES)
# Text built by REPEAT or LPAD/RPAD, likewise outside the memory limit: a vector of such values
# (at most 4 bytes a character) stays within 1 GiB.
MAX_BUILT_TEXT_CHARS = 131_072


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
    """Refuse functions sqlglot does not know (DuckDB would run them as written) and those
    that read the engine's state."""
    for state in query.find_all(*_ENGINE_STATE):
        name = state.sql(dialect="bigquery").split("(", 1)[0]
        raise QueryRefused(
            f"`{name}` tells the engine's state, not the lake's data, and is not allowed; "
            "remove it from the query."
        )
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
    if isinstance(node, _GENERATED_ARRAYS):
        return _bounded_array(node)
    if isinstance(node, exp.Repeat | exp.Pad):
        return _bounded_text(node)
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


def _bounded_array(node: exp.Expr) -> exp.Expr:
    """`CASE WHEN <more than MAX_GENERATED_ELEMENTS> THEN ERROR(...) ELSE <array> END`."""
    function = _GENERATED_ARRAY_NAMES[type(node)]
    message = (
        f"{function} would make more than {MAX_GENERATED_ELEMENTS:,} elements, the embedded "
        "lake's limit: narrow the range or widen the step"
    )
    error = exp.Anonymous(this="ERROR", expressions=[exp.Literal.string(message)])
    return exp.case().when(_too_many_elements(node), error).else_(node)


def _bounded_text(node: exp.Repeat | exp.Pad) -> exp.Expr:
    """REPEAT or LPAD/RPAD raising an error, not building text past `MAX_BUILT_TEXT_CHARS`."""
    if isinstance(node, exp.Repeat):
        function = "REPEAT"
        length: exp.Expr = exp.Mul(
            this=_double(exp.Length(this=node.this.copy())), expression=_double(node.args["times"])
        )
    else:
        function = "LPAD" if node.args.get("is_left") else "RPAD"
        length = _double(node.expression)
    message = (
        f"{function} would make text longer than {MAX_BUILT_TEXT_CHARS:,} characters, the "
        "embedded lake's limit"
    )
    error = exp.Anonymous(this="ERROR", expressions=[exp.Literal.string(message)])
    too_long = exp.GT(this=length, expression=exp.Literal.number(MAX_BUILT_TEXT_CHARS))
    return exp.case().when(too_long, error).else_(node)


def _too_many_elements(node: exp.Expr) -> exp.Expr:
    """`|end - start| > MAX_GENERATED_ELEMENTS * |step|`, in doubles (epoch seconds for dates
    and timestamps, a month counting 30 days): exact enough for a cap, and no overflow."""
    start, end = node.args["start"], node.args["end"]
    step: exp.Expr | None = node.args.get("step")
    span: exp.Expr
    stride: exp.Expr
    if isinstance(node, exp.GenerateSeries):
        span = exp.Sub(this=_double(end), expression=_double(start))
        stride = _double(step) if step else exp.Literal.number(1)
    else:
        span = exp.Sub(this=_epoch(end), expression=_epoch(start))
        step_seconds = exp.Anonymous(this="EPOCH", expressions=[step.copy()]) if step else None
        stride = step_seconds or exp.Literal.number(86_400)
    limit = exp.Mul(
        this=exp.Literal.number(MAX_GENERATED_ELEMENTS), expression=exp.Abs(this=stride)
    )
    return exp.GT(this=exp.Abs(this=span), expression=limit)


def _double(value: exp.Expr) -> exp.Expr:
    return exp.cast(value.copy(), "DOUBLE")


def _epoch(value: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="EPOCH", expressions=[exp.cast(value.copy(), "TIMESTAMP")])


def ddl(create: exp.Create) -> str:
    """DuckDB DDL for a lake table's BigQuery CREATE TABLE (partitioning is BigQuery's alone)."""
    tree = create.copy()
    tree.set("properties", None)
    schema = tree.this
    schema.set("expressions", [c for c in schema.expressions if isinstance(c, exp.ColumnDef)])
    return _bottom_up(tree, lambda node: _rewrite(node, {})).sql(dialect="duckdb", comments=False)
