"""The tenant guard: read-only, lake-tables-only SQL, scoped to one tenant by rewriting.

Every query, whether a template's, a person's or an agent's, passes through `guard_query`. It
parses BigQuery SQL, refuses anything but one reading statement over lake tables, and rewrites
each lake table reference into `(SELECT * FROM table WHERE tenant_id = @tenant_id) AS alias`.
The tenant is then a bound parameter the caller cannot override, so no text in the query can
widen it. Engine-specific rules (such as DuckDB's file functions) live with each engine.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from marketing_intel.lake.errors import QueryRefused
from marketing_intel.lake.schema import lake_tables

TENANT_PARAMETER = "tenant_id"

# Statements and clauses that write, change settings or reach outside the lake.
_FORBIDDEN = (
    exp.DDL,
    exp.DML,
    exp.Command,
    exp.Set,
    exp.Pragma,
    exp.Copy,
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Describe,
    exp.Show,
    exp.Attach,
    exp.Detach,
    exp.Export,
    exp.Grant,
    exp.Into,
)


def guard_query(sql: str, *, qualifiers: Collection[str] = ()) -> exp.Query:
    """Check `sql` against the lake rules and return it rewritten to one tenant.

    `qualifiers` are the dataset (and project) names a table reference may be qualified with,
    e.g. `marketing_intel.platform_events`. Raises `QueryRefused` with the reason otherwise.
    """
    query = _single_query(sql)
    for node in query.walk():
        if isinstance(node, _FORBIDDEN):
            raise QueryRefused(
                f"Only reading queries can run here; `{_keyword(node)}` is not allowed. "
                "Write one SELECT (or WITH ... SELECT) statement."
            )
    ctes = _cte_names(query)
    allowed = {q.lower() for q in qualifiers}
    for table in list(query.find_all(exp.Table)):
        if _is_lake_table(table, ctes, allowed):
            table.replace(_tenant_scoped(table))
    return query


def _single_query(sql: str) -> exp.Query:
    try:
        statements = [s for s in sqlglot.parse(sql, read="bigquery") if s is not None]
    except (ParseError, TokenError) as error:
        first = str(error).splitlines()[0]
        raise QueryRefused(f"The SQL could not be read as BigQuery SQL: {first}") from None
    if len(statements) != 1:
        raise QueryRefused(
            f"Send exactly one statement; this SQL holds {len(statements)}. "
            "Remove the extra statements (and any ';' between them)."
        )
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise QueryRefused(
            f"Only reading queries can run here; `{_keyword(statement)}` is not allowed. "
            "Write one SELECT (or WITH ... SELECT) statement."
        )
    return statement


def _keyword(node: exp.Expr) -> str:
    text = node.sql(dialect="bigquery")
    return (text.split(None, 1)[0] if text else node.key).upper()


def _cte_names(query: exp.Query) -> set[str]:
    names = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    shadowing = names & set(lake_tables())
    if shadowing:
        name = sorted(shadowing)[0]
        raise QueryRefused(
            f"The WITH clause names a query `{name}`, like the lake table; rename it "
            f"(e.g. `{name}_rows`) so it is clear which one is read."
        )
    return names


def _is_lake_table(table: exp.Table, ctes: set[str], qualifiers: set[str]) -> bool:
    """True for a lake table reference, False for a CTE reference; refuses anything else."""
    if not isinstance(table.this, exp.Identifier):
        function = table.this.sql(dialect="bigquery").split("(", 1)[0]
        raise QueryRefused(
            f"Only lake tables can be read; `{function}` is not allowed. "
            f"Read from {_lake_table_list()}."
        )
    name = table.name.lower()
    parts = [p.lower() for p in (table.catalog, table.db) if p]
    if not parts and name in ctes:
        return False
    if name in lake_tables() and all(part in qualifiers for part in parts):
        return True
    raise QueryRefused(
        f"Only lake tables can be read; `{_display_name(table)}` is not one. "
        f"Read from {_lake_table_list()}."
    )


def _display_name(table: exp.Table) -> str:
    return ".".join(part for part in (table.catalog, table.db, table.name) if part)


def _lake_table_list() -> str:
    return ", ".join(sorted(lake_tables()))


def _tenant_scoped(table: exp.Table) -> exp.Subquery:
    """`(SELECT * FROM name WHERE tenant_id = @tenant_id) AS alias` for a lake table reference."""
    if table.args.get("version") or table.args.get("when"):
        raise QueryRefused("Time travel (FOR SYSTEM_TIME AS OF) is not allowed on lake tables.")
    source = exp.to_table(table.name.lower())
    source.set("sample", table.args.get("sample"))  # BigQuery samples tables, not subqueries
    tenant = exp.Parameter(this=exp.var(TENANT_PARAMETER))
    scoped = exp.select("*").from_(source).where(exp.column(TENANT_PARAMETER).eq(tenant))
    return scoped.subquery(table.alias or table.name)


def referenced_parameters(query: exp.Expr) -> set[str]:
    """The names of the `@parameters` a query uses."""
    return {p.name for p in query.find_all(exp.Parameter)}
