"""Example lake queries in BigQuery SQL, one `.sql` file each, for people and agents to start
from. Each runs on both engines with the same answers (tests/test_lake_parity.py)."""

from __future__ import annotations

from importlib import resources


def example_queries() -> dict[str, str]:
    """The example queries by name (file name without `.sql`), in name order."""
    files = [f for f in resources.files(__package__).iterdir() if f.name.endswith(".sql")]
    queries = {f.name.removesuffix(".sql"): f.read_text(encoding="utf-8") for f in files}
    return dict(sorted(queries.items()))
