"""A property-based SQL fuzzer against the tenant guard, on real embedded lakes (issue 17).

Queries are generated over the four lake tables and hostile constructs: WITH queries named like
the engine's catalog (reading themselves, recursive, nested), catalog tables and
INFORMATION_SCHEMA, table functions, qualified names, subqueries, set operations, UNNEST,
engine-state functions and comments. Each runs for tenant `a` on a lake holding two tenants'
rows and on a lake holding only `a`'s rows. The properties:

- an answered query returns exactly what it returns on the lake without tenant `b` (so no row
  of `b` ever leaks, not even through a count);
- no answer holds the engine's catalog (table names, settings, the lake's file or schema);
- every refusal or failure is one of the lake's errors (`LakeError`), never another exception.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketing_intel.lake import DuckDBLake, LakeError, QueryLimits
from marketing_intel.lake.schema import lake_tables
from tests.engine_catalog import CATALOG_NAMES

EXAMPLES = int(os.environ.get("MI_FUZZ_EXAMPLES", "3000"))
_CATALOG = [
    *CATALOG_NAMES,
    "duckdb_settings",
    "information_schema.tables",
    "INFORMATION_SCHEMA.TABLES",
    "marketing_intel.INFORMATION_SCHEMA.TABLES",
    "main.campaign_metrics",
    "memory.main.campaign_metrics",
    "other.campaign_metrics",
    "_mi_stage",
]
_TABLE_FUNCTIONS = [
    "duckdb_settings()",
    "duckdb_tables()",
    "pragma_database_list()",
    "read_csv('x.csv')",
    "range(3)",
    "glob('*')",
    "GENERATE_ARRAY(1, 3)",
]
_WITH_NAMES = ["x", "y", "X", "pg_settings", "duckdb_tables", "pg_class", "sqlite_master"]
# Text in any answer that can only come from the engine's catalog or settings.
_CATALOG_MARKERS = (
    "duckdb",
    "pg_",
    "main",
    "memory_limit",
    "sqlite",
    "lake.duckdb",
    "campaign_metrics",
    "platform_events",
    "/",
)


def _lake_table() -> st.SearchStrategy[str]:
    name = st.sampled_from(sorted(lake_tables()))
    form = st.sampled_from(["{t}", "marketing_intel.{t}", "`marketing_intel.{t}`", "{T}"])
    return st.builds(lambda t, f: f.format(t=t, T=t.upper()), name, form)


def _comment() -> st.SearchStrategy[str]:
    return st.sampled_from(
        ["", " ", " /* */ ", " /* */ FROM pg_settings */ ", " -- ; SELECT * FROM pg_class\n"]
    )


def _source(queries: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    alias = st.sampled_from(["", " AS s", " s", " AS pg_settings"])
    plain = st.one_of(
        _lake_table(),
        _lake_table(),
        st.sampled_from(_CATALOG),
        st.sampled_from(_TABLE_FUNCTIONS),
        st.sampled_from(_WITH_NAMES),
    )
    sub = queries.map(lambda q: f"({q})")
    unnest = st.sampled_from(
        [
            "UNNEST(['meta', 'google'])",
            "UNNEST(GENERATE_ARRAY(1, 3))",
            "UNNEST((SELECT ARRAY_AGG(name) FROM pg_settings))",
            "UNNEST(ARRAY(SELECT platform FROM campaign_metrics))",
        ]
    )
    return st.builds(lambda s, a: s + a, st.one_of(plain, sub, unnest), alias)


def _select(queries: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    columns = st.sampled_from(
        [
            "*",
            "tenant_id",
            "platform",
            "COUNT(*) AS n",
            "STRING_AGG(tenant_id) AS s",
            "CURRENT_DATABASE() AS d",
            "CURRENT_SCHEMA() AS d",
        ]
    )
    where = st.one_of(
        st.just(""),
        st.sampled_from(
            [
                " WHERE tenant_id = 'b'",
                " WHERE tenant_id != 'a' OR TRUE",
                " WHERE @tenant_id = @tenant_id",
            ]
        ),
        queries.map(lambda q: f" WHERE EXISTS ({q})"),
        queries.map(lambda q: f" WHERE tenant_id IN (SELECT tenant_id FROM ({q}))"),
    )
    return st.builds(
        lambda c, s, w, k: f"SELECT{k}{c} FROM {s}{w}",
        columns,
        _source(queries),
        where,
        _comment(),
    )


def _with(queries: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    cte = st.builds(lambda n, q: f"{n} AS ({q})", st.sampled_from(_WITH_NAMES), queries)
    recursive_body = st.builds(
        lambda n, q: f"{n} AS ({q} UNION ALL SELECT * FROM {n} WHERE FALSE)",
        st.sampled_from(_WITH_NAMES),
        queries,
    )
    plain = st.builds(
        lambda ctes, q: f"WITH {', '.join(ctes)} {q}",
        st.lists(cte, min_size=1, max_size=3),
        queries,
    )
    recursive = st.builds(lambda c, q: f"WITH RECURSIVE {c} {q}", recursive_body, queries)
    return st.one_of(plain, recursive)


def _set_operation(queries: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    operator = st.sampled_from([" UNION ALL ", " UNION DISTINCT ", " EXCEPT DISTINCT "])
    return st.builds(lambda a, o, b: f"({a}){o}({b})", queries, operator, queries)


def _queries() -> st.SearchStrategy[str]:
    base = st.builds(
        lambda c, t: f"SELECT {c} FROM {t}",
        st.sampled_from(["*", "tenant_id", "platform", "COUNT(*) AS n"]),
        st.one_of(_lake_table(), st.sampled_from(_CATALOG + _WITH_NAMES)),
    )
    return st.recursive(
        base,
        lambda inner: st.one_of(_select(inner), _with(inner), _set_operation(inner)),
        max_leaves=6,
    )


def _seed(lake: DuckDBLake, tenants: list[str]) -> None:
    day, at = "2026-01-05", "2026-01-05T10:00:00Z"
    for tenant in tenants:
        platform = "meta" if tenant == "a" else "zzb_platform"
        lake.insert(
            "campaign_metrics",
            [
                {
                    "tenant_id": tenant,
                    "platform": platform,
                    "campaign_id": f"{tenant}-1",
                    "date": day,
                    "impressions": 10,
                    "clicks": 1,
                    "conversions": 1,
                    "spend": "1",
                    "revenue": "2",
                    "currency": "USD",
                    "updated_at": at,
                }
            ],
        )
        lake.insert(
            "platform_events",
            [
                {
                    "event_id": f"{tenant}-e{i}",
                    "tenant_id": tenant,
                    "platform": platform,
                    "event_type": "order_created",
                    "occurred_at": at,
                    "received_at": at,
                    "status": "ok",
                }
                for i in range(2 if tenant == "a" else 5)
            ],
        )
        lake.insert(
            "audience_insights",
            [
                {
                    "tenant_id": tenant,
                    "platform": platform,
                    "segment_id": "s",
                    "date": dt.date(2026, 1, 5),
                    "audience_size": 5,
                    "active_users": 4,
                    "engaged_users": 3,
                    "conversions": 1,
                    "revenue": "1",
                }
            ],
        )


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DuckDBLake, DuckDBLake]]:
    """(a lake with tenants a and b, a lake with only a's rows)."""
    folder = Path(tmp_path_factory.mktemp("fuzz"))
    both, alone = DuckDBLake(folder / "both.duckdb"), DuckDBLake(folder / "alone.duckdb")
    _seed(both, ["a", "b"])
    _seed(alone, ["a"])
    yield both, alone
    both.close()
    alone.close()


COUNTS: Counter[str] = Counter()
_LIMITS = QueryLimits(row_limit=1_000, timeout_s=10)


def _answer(lake: DuckDBLake, sql: str) -> list[dict[str, object]] | LakeError:
    try:
        rows = lake.query(sql, tenant_id="a", limits=_LIMITS).rows()
    except LakeError as error:  # anything else fails the test with its traceback
        return error
    return sorted(rows, key=lambda row: repr(sorted(row.items())))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the autouse settings isolation; nothing per test
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(sql=_queries())
def test_no_generated_query_crosses_tenants_or_reads_the_catalog(
    lakes: tuple[DuckDBLake, DuckDBLake], sql: str
) -> None:
    both, alone = lakes
    answer = _answer(both, sql)
    COUNTS["examples"] += 1
    if isinstance(answer, LakeError):
        COUNTS[type(answer).__name__] += 1
        assert "\n" not in str(answer) or "row(s)" in str(answer), str(answer)
        return
    COUNTS["answered"] += 1
    assert answer == _answer(alone, sql), f"tenant b changed the answer of {sql!r}"
    text = " ".join(repr(value) for row in answer for value in row.values()).lower()
    assert not any(marker in text for marker in _CATALOG_MARKERS), (sql, answer[:3])
    assert "zzb" not in text


def test_fuzz_counts_are_balanced() -> None:
    """Runs after the fuzzer (file order): it must have exercised both answers and refusals."""
    print(f"\nguard fuzzer: {dict(COUNTS)}")
    if not COUNTS:
        pytest.skip("the fuzzer did not run in this session")
    assert COUNTS["examples"] >= EXAMPLES // 2
    assert COUNTS["answered"] >= EXAMPLES // 10
    assert COUNTS["QueryRefused"] >= EXAMPLES // 10
