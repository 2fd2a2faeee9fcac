"""The embedded lake and the BigQuery emulator holding the same demo data, for parity tests."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.lake import DuckDBLake
from marketing_intel.lake.bigquery_lake import BigQueryLake
from tests.bigquery_emulator import BigQueryEmulator


@contextmanager
def seeded_lake_pair(
    emulator: BigQueryEmulator, folder: Path, spec: DemoSpec
) -> Iterator[tuple[DuckDBLake, BigQueryLake]]:
    """A DuckDB lake in `folder` and a fresh emulator dataset, both seeded with `spec`."""
    duckdb_lake = DuckDBLake(folder / "lake.duckdb")
    client = emulator.client()
    bigquery_lake = BigQueryLake(client, dataset=f"pair_{uuid.uuid4().hex[:8]}", component="tests")
    bigquery_lake.apply_schema()
    assert seed_lake(duckdb_lake, spec) == seed_lake(bigquery_lake, spec)
    try:
        yield duckdb_lake, bigquery_lake
    finally:
        client.delete_dataset(f"{client.project}.{bigquery_lake.dataset}", delete_contents=True)


def assert_same(embedded: Any, production: Any, path: str = "report") -> None:
    """Equal structures; numbers equal within 1e-9 relative; `path` says where they differ."""
    if isinstance(embedded, float) or isinstance(production, float):
        assert isinstance(production, float | int), path
        assert isinstance(embedded, float | int), path
        assert math.isclose(embedded, production, rel_tol=1e-9, abs_tol=1e-12), path
    elif isinstance(embedded, dict) and isinstance(production, dict):
        assert embedded.keys() == production.keys(), path
        for key in embedded:
            assert_same(embedded[key], production[key], f"{path}.{key}")
    elif isinstance(embedded, list) and isinstance(production, list):
        assert len(embedded) == len(production), path
        for index, (left, right) in enumerate(zip(embedded, production, strict=True)):
            assert_same(left, right, f"{path}[{index}]")
    else:
        assert embedded == production, path
