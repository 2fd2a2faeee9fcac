"""The tenant guard: read-only, lake-tables-only SQL, scoped to one tenant by rewriting.

Every query, whether a template's, a person's or an agent's, passes through `guard_query`. It
parses BigQuery SQL, refuses anything but one reading statement over lake tables, and rewrites
each lake table reference into `(SELECT * FROM table WHERE tenant_id = @tenant_id) AS alias`.
The tenant is then a bound parameter the caller cannot override, so no text in the query can
widen it. Engine-specific rules (such as DuckDB's file functions) live with each engine.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import OptimizeError, ParseError, TokenError
from sqlglot.optimizer.scope import traverse_scope

from marketing_intel.lake.bounds import check_nesting, check_tree_depth
from marketing_intel.lake.errors import QueryRefused
from marketing_intel.lake.schema import lake_tables

TENANT_PARAMETER = "tenant_id"
_BIGQUERY = Dialect.get_or_raise("bigquery")

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
    Every table name is resolved the way the engine resolves it, scope by scope: a name is a
    WITH query only where that query is visible, and anything else must be a lake table.
    """
    query = _single_query(sql)
    for node in query.walk():
        if isinstance(node, _FORBIDDEN):
            raise QueryRefused(
                f"Only reading queries can run here; `{_keyword(node)}` is not allowed. "
                "Write one SELECT (or WITH ... SELECT) statement."
            )
    _refuse_shadowing_ctes(query)
    _refuse_recursive_base_self_reads(query)
    _refuse_non_table_sources(query)
    allowed = {q.lower() for q in qualifiers}
    lake = [t for t, visible in _resolved_tables(query) if _is_lake_table(t, visible, allowed)]
    for table in lake:
        table.replace(_tenant_scoped(table))
    return query


def _single_query(sql: str) -> exp.Query:
    try:
        tokens = _BIGQUERY.tokenize(sql)
        check_nesting(tokens)
        statements = [s for s in _BIGQUERY.parser().parse(tokens, sql) if s is not None]
    except (ParseError, TokenError) as error:
        first = str(error).splitlines()[0]
        raise QueryRefused(f"The SQL could not be read as BigQuery SQL: {first}") from None
    if len(statements) != 1:
        raise QueryRefused(
            f"Send exactly one statement; this SQL holds {len(statements)}. "
            "Remove the extra statements (and any ';' between them)."
        )
    statement = statements[0]
    check_tree_depth(statement)
    if not isinstance(statement, exp.Query):
        raise QueryRefused(
            f"Only reading queries can run here; `{_keyword(statement)}` is not allowed. "
            "Write one SELECT (or WITH ... SELECT) statement."
        )
    return statement


def _keyword(node: exp.Expr) -> str:
    text = node.sql(dialect="bigquery")
    return (text.split(None, 1)[0] if text else node.key).upper()


def _refuse_shadowing_ctes(query: exp.Query) -> None:
    """A WITH query named like a lake table would capture the tenant-scoped reads."""
    names = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    shadowing = names & set(lake_tables())
    if shadowing:
        name = sorted(shadowing)[0]
        raise QueryRefused(
            f"The WITH clause names a query `{name}`, like the lake table; rename it "
            f"(e.g. `{name}_rows`) so it is clear which one is read."
        )


def _refuse_recursive_base_self_reads(query: exp.Query) -> None:
    """In `WITH RECURSIVE r AS (base UNION ALL step)` only `step` may read `r` (BigQuery's rule).

    sqlglot's scopes make `r` visible in `base` too, where an engine could resolve the name to
    a table of its catalog instead, so such a read is refused before scoping.
    """
    for with_ in query.find_all(exp.With):
        if not with_.recursive:
            continue
        for cte in with_.expressions:
            body = cte.this
            base = body.this if isinstance(body, exp.SetOperation) else body
            name = cte.alias_or_name.lower()
            for table in base.find_all(exp.Table):
                if _is_bare_name(table, name):
                    raise QueryRefused(
                        f"The recursive WITH query `{name}` reads itself before its UNION ALL; "
                        "start it with a query that does not read it (the base case)."
                    )


def _refuse_non_table_sources(query: exp.Query) -> None:
    """FROM and JOIN read tables, subqueries or UNNEST; anything else (table functions,
    LATERAL, VALUES) is refused here, as table functions can read the engine's catalog."""
    for clause in query.find_all(exp.From, exp.Join):
        source = clause.this
        if not isinstance(source, exp.Table | exp.Subquery | exp.Unnest):
            name = source.sql(dialect="bigquery").split("(", 1)[0]
            raise QueryRefused(
                f"Only lake tables can be read; `{name}` is not allowed. "
                f"Read from {_lake_table_list()}."
            )


def _resolved_tables(query: exp.Query) -> list[tuple[exp.Table, frozenset[str]]]:
    """Each table reference with the WITH query names visible where it stands.

    Scoping follows sqlglot's resolver: a WITH query is visible in the queries after it in its
    WITH clause and in its statement (subqueries included), never in its own body unless it is
    recursive. A reference the resolver did not reach is refused, so nothing goes unchecked.
    """
    try:
        scopes = traverse_scope(query)
    except OptimizeError as error:
        raise QueryRefused(
            f"The query's table names could not be resolved ({error}); simplify the query."
        ) from None
    resolved: dict[int, tuple[exp.Table, frozenset[str]]] = {}
    for scope in scopes:
        visible = frozenset(name.lower() for name in scope.cte_sources)
        for table in scope.tables:
            resolved.setdefault(id(table), (table, visible))
    for table in query.find_all(exp.Table):
        if id(table) not in resolved:
            raise QueryRefused(
                f"`{_display_name(table)}` could not be resolved to a lake table where it "
                f"stands; read lake tables ({_lake_table_list()}) in FROM or JOIN."
            )
    return list(resolved.values())


def _is_bare_name(table: exp.Table, name: str) -> bool:
    return (
        isinstance(table.this, exp.Identifier)
        and not table.args.get("db")
        and not table.args.get("catalog")
        and table.name.lower() == name
    )


def _is_lake_table(table: exp.Table, ctes: frozenset[str], qualifiers: set[str]) -> bool:
    """True for a lake table reference, False for a visible WITH query; refuses anything else."""
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
