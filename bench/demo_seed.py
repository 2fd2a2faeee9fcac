"""`mi demo seed` of about 1M rows: our keyed, validated seed vs a bare DuckDB append.

Baseline: the same generated Arrow batches appended to empty tables with a plain INSERT (no key
check, no schema conformance). Target: the whole seed under 30 s on a 2-core machine.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb

from bench.size import sized
from marketing_intel.demo import DemoSpec, generate, seed_lake
from marketing_intel.lake import DuckDBLake

END_DATE = dt.date(2026, 11, 26)
SPEC = sized(
    DemoSpec(end_date=END_DATE, tenants=10, days=90, scale=2.5),
    DemoSpec(end_date=END_DATE, tenants=1, days=3, scale=0.1),
)


def _bare_append(path: Path) -> None:
    lake = DuckDBLake(path)
    lake.apply_schema()
    lake.close()  # the baseline opens the file with its own settings
    connection = duckdb.connect(str(path))
    for table, batch in generate(SPEC):
        connection.register("batch", batch)
        connection.execute(f"INSERT INTO {table} SELECT * FROM batch")
        connection.unregister("batch")
    connection.close()


def main() -> None:
    """Seed about 1M rows both ways and print the times and their ratio."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        _bare_append(Path(folder) / "bare.duckdb")
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        inserted = seed_lake(DuckDBLake(Path(folder) / "seed.duckdb"), SPEC)
        ours = time.perf_counter() - started
    rows = sum(inserted.values())
    print(
        f"demo_seed: {rows:,} rows in {ours:.1f} s (target < 30 s); bare append {baseline:.1f} s; "
        f"ratio {ours / baseline:.2f}x"
    )
