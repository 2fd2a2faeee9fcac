"""`python -m bench [name ...]`: run the benchmarks (all by default) and print their ratios."""

from __future__ import annotations

import sys

from bench import (
    bigquery_layer,
    brand_voice,
    bridge,
    cli,
    demo_seed,
    flows,
    insight_cache,
    jobs,
    lake_query,
    memory,
    templates,
    webhooks,
)

BENCHMARKS = {
    "lake_query": lake_query.main,
    "demo_seed": demo_seed.main,
    "bigquery_layer": bigquery_layer.main,
    "templates": templates.main,
    "bridge": bridge.main,
    "webhooks": webhooks.main,
    "memory": memory.main,
    "brand_voice": brand_voice.main,
    "insight_cache": insight_cache.main,
    "flows": flows.main,
    "jobs": jobs.main,
    "cli": cli.main,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(BENCHMARKS):
        BENCHMARKS[name]()
