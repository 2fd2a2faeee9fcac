"""`python -m bench [name ...]`: run the benchmarks (all by default) and print their ratios.

Each benchmark's module is imported only when it runs: together they import nearly everything
(Langflow, bullmq, the BigQuery client), which would cost each run seconds it does not need.
"""

from __future__ import annotations

import importlib
import sys

# The benchmarks, in the order `python -m bench` runs them: each is bench/<name>.py's main().
BENCHMARKS = (
    "lake_query",
    "demo_seed",
    "bigquery_layer",
    "templates",
    "bridge",
    "webhooks",
    "memory",
    "brand_voice",
    "insight_cache",
    "flows",
    "jobs",
    "cli",
    "holiday_calendar",
    "truth",
    "charts",
)


def run(name: str) -> None:
    """Run one benchmark by name."""
    if name not in BENCHMARKS:
        raise SystemExit(f"No benchmark {name!r}; choose from {', '.join(BENCHMARKS)}.")
    importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    for name in sys.argv[1:] or BENCHMARKS:
        run(name)
