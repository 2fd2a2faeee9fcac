"""A query made ready for an engine: guarded, scoped to a tenant, parameters bound, row-limited."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp

from marketing_intel.lake.bounds import DEFAULT_MAX_SQL_BYTES, check_size, nesting_refused
from marketing_intel.lake.errors import QueryRefused
from marketing_intel.lake.guard import TENANT_PARAMETER, guard_query, referenced_parameters
from marketing_intel.lake.parameters import QueryParameter
from marketing_intel.tenants import InvalidTenantId
from marketing_intel.tenants import check_tenant_id as check_tenant


@dataclass(frozen=True)
class PreparedQuery:
    """A guarded BigQuery query tree and the parameters it uses, the tenant's among them."""

    tree: exp.Query  # shared between calls: read it, never change it
    parameters: dict[str, QueryParameter]

    @property
    def types(self) -> dict[str, str]:
        """The BigQuery type of each parameter by name."""
        return {name: p.type for name, p in self.parameters.items()}

    @property
    def values(self) -> dict[str, object]:
        """The Python value of each parameter by name."""
        return {name: p.value for name, p in self.parameters.items()}


def prepare(
    sql: str,
    params: Sequence[QueryParameter],
    *,
    tenant_id: str,
    row_limit: int | None = None,
    qualifiers: Collection[str] = (),
    max_sql_bytes: int = DEFAULT_MAX_SQL_BYTES,
) -> PreparedQuery:
    """Guard `sql`, bind its parameters and the tenant, and cap it at `row_limit` + 1 rows.

    One row more than the limit is fetched so the caller can tell that rows were cut off.
    SQL over `max_sql_bytes` or nested too deeply is refused.
    """
    check_tenant_id(tenant_id)
    check_size(sql, max_sql_bytes)
    with nesting_refused():
        tree = _guarded(sql, row_limit, tuple(qualifiers))
    return PreparedQuery(tree=tree, parameters=_bind(tree, params, tenant_id))


@lru_cache(maxsize=512)
def _guarded(sql: str, row_limit: int | None, qualifiers: tuple[str, ...]) -> exp.Query:
    """The guarded, capped tree, cached: templates and agents send the same SQL again and
    again. The tree is shared, so nothing may change it (engines copy before rewriting)."""
    tree = guard_query(sql, qualifiers=qualifiers)
    return _capped(tree, row_limit + 1) if row_limit is not None else tree


def check_tenant_id(tenant_id: str | None) -> str:
    """Refuse a missing or malformed tenant id; every lake query runs for exactly one tenant."""
    if not tenant_id or not tenant_id.strip():
        raise QueryRefused(
            "Every lake query runs for one tenant, and none was given; set the tenant id."
        )
    try:
        return check_tenant(tenant_id)
    except InvalidTenantId as error:
        raise QueryRefused(str(error)) from None


def _bind(
    tree: exp.Query, params: Sequence[QueryParameter], tenant_id: str
) -> dict[str, QueryParameter]:
    given = {p.name: p for p in params}
    if TENANT_PARAMETER in given:
        raise QueryRefused(
            "@tenant_id is set by the lake from the tenant the query runs for; "
            "do not pass it as a parameter."
        )
    used = referenced_parameters(tree)
    missing = sorted(used - given.keys() - {TENANT_PARAMETER})
    if missing:
        names = ", ".join(f"@{name}" for name in missing)
        raise QueryRefused(
            f"The query uses {names} but no value was given; pass it as a parameter."
        )
    bound = {name: given[name] for name in used if name in given}
    if TENANT_PARAMETER in used:  # engines refuse values for parameters a query does not use
        bound[TENANT_PARAMETER] = QueryParameter.of(TENANT_PARAMETER, tenant_id)
    return bound


def _capped(tree: exp.Query, rows: int) -> exp.Query:
    limit = tree.args.get("limit")
    if isinstance(tree, exp.Select) and not tree.args.get("offset"):
        current = limit.expression if isinstance(limit, exp.Limit) else None
        if isinstance(current, exp.Literal) and current.is_int and int(current.this) <= rows:
            return tree
        if limit is None or isinstance(current, exp.Literal):
            return tree.limit(rows, copy=False)
    return exp.select("*").from_(tree.subquery("capped")).limit(rows)
