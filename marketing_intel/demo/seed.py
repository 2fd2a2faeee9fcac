"""Seeding a lake with the demo data: generate batches, insert them, report progress."""

from __future__ import annotations

from collections.abc import Callable

from marketing_intel.demo.generator import expected_rows, generate
from marketing_intel.demo.spec import DemoSpec
from marketing_intel.lake import Lake

Progress = Callable[[str, int, int], None]
"""Called after each batch with (table, rows in the batch, rows expected for the table)."""


def seed_lake(lake: Lake, spec: DemoSpec, *, on_batch: Progress | None = None) -> dict[str, int]:
    """Insert the demo data of `spec` into `lake`; returns new rows per table.

    Inserts are keyed, so seeding twice with the same spec adds nothing the second time.
    """
    totals = expected_rows(spec)
    inserted = dict.fromkeys(totals, 0)
    for table, batch in generate(spec):
        inserted[table] += lake.insert(table, batch).inserted
        if on_batch:
            on_batch(table, batch.num_rows, totals[table])
    return inserted
