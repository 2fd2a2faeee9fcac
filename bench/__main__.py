"""`python -m bench [name ...]`: run the benchmarks (all by default) and print their ratios."""

from __future__ import annotations

import sys

from bench import bigquery_layer, demo_seed, jobs, lake_query, templates

BENCHMARKS = {
    "lake_query": lake_query.main,
    "demo_seed": demo_seed.main,
    "bigquery_layer": bigquery_layer.main,
    "templates": templates.main,
    "jobs": jobs.main,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(BENCHMARKS):
        BENCHMARKS[name]()
