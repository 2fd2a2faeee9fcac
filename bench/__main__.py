"""`python -m bench [name ...]`: run the benchmarks (all by default) and print their ratios."""

from __future__ import annotations

import sys

from bench import bigquery_layer, bridge, demo_seed, lake_query, templates, webhooks

BENCHMARKS = {
    "lake_query": lake_query.main,
    "demo_seed": demo_seed.main,
    "bigquery_layer": bigquery_layer.main,
    "templates": templates.main,
    "bridge": bridge.main,
    "webhooks": webhooks.main,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(BENCHMARKS):
        BENCHMARKS[name]()
