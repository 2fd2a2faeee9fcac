"""How big a benchmark runs: its full size, or tiny (`MI_BENCH_SIZE=tiny`) for the smoke run in
`make test` (tests/test_benchmarks.py), which proves each benchmark still runs to its ratio line;
tiny numbers mean nothing."""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

SIZES = ("full", "tiny")
SIZE = os.environ.get("MI_BENCH_SIZE", "full")
if SIZE not in SIZES:
    raise SystemExit(f"MI_BENCH_SIZE={SIZE!r} is not a benchmark size; use one of {SIZES}.")


def sized(full: T, tiny: T) -> T:
    """`full` for a real measurement, `tiny` for the smoke run."""
    return tiny if SIZE == "tiny" else full
