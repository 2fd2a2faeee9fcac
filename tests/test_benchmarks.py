"""Every benchmark still runs: `python -m bench <name>` at its tiny size (MI_BENCH_SIZE=tiny,
bench/size.py) completes and prints its ratio line. A smoke run, not a measurement: no timing is
asserted. Benchmarks that need a peer get the tests' own (PostgreSQL, Redis, the BigQuery
emulator); the flows benchmark starts a Langflow server of its own, since the session's is shared
by tests that count its flows, cache entries and memories."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS
from tests.bigquery_emulator import BigQueryEmulator

REPO = Path(__file__).resolve().parents[1]
RATIO = r"\d+\.\d+x?"
# What each benchmark must print: every pattern matches a line of its output.
RATIO_LINES = {
    "lake_query": [rf"^lake_query: ours .* ratio {RATIO}"],
    "demo_seed": [rf"^demo_seed: .* ratio {RATIO}"],
    "bigquery_layer": [rf"^bigquery_layer: ours .* over all examples: {RATIO}"],
    "templates": [
        rf"^  {template} +end to end .*: {RATIO} \(target"
        for template in (
            "campaign_insights",
            "roi_optimization",
            "platform_events",
            "audience_trends",
        )
    ],
    "bridge": [rf"throughput ratio bridge/bare: {RATIO}", rf"^  ratio {RATIO}; target < 10 s"],
    "webhooks": [rf"^\S+ +[\d.]+ +[\d.]+ +{RATIO} +[\d.]+ +[\d.]+ +{RATIO}"],
    "memory": [
        rf"^memory remember \(20 new records, .* ratio {RATIO}",
        rf"ratio: recall p95 / \(embed p95 \+ search p95\) = {RATIO}",
    ],
    "brand_voice": [rf"score a draft end to end .* ratio p95 {RATIO}"],
    "insight_cache": [
        rf"PostgresInsightCache.get, RLS role .* ratio p50 {RATIO}",
        rf"SQLiteInsightCache.get .* ratio p50 {RATIO}",
    ],
    "flows": [rf"^  \S+ +computing +API .*: +{RATIO}", rf"^ +cache hit +API .*: +{RATIO}"],
    "jobs": [rf"ours, no-op flow: .* ratio {RATIO}"],
    "cli": [
        rf"^cli: {re.escape(label)}: .* ratio {RATIO}" for label in ("mi --help", "mi analyze")
    ],
    "holiday_calendar": [rf"^holiday_calendar: warm p50 .* ratio p50 {RATIO}"],
    "truth": [
        r"^truth: recall \d+\.\d%, false alarms \d+\.\d+ per 100 campaigns, "
        r"ROI coverage \d+\.\d%, ROI regret \d+\.\d%$"
    ],
    "charts": [
        *(rf"^charts: {kind} warm .* ratio {RATIO}" for kind in ("series", "curve", "trend")),
        rf"^charts: first chart of a process .* ratio {RATIO}",
    ],
}
# Benchmarks with a peer: each has a test of its own below, which asks for the peer's fixture.
PEER_BENCHMARKS = {"insight_cache", "jobs", "bigquery_layer", "flows"}


def run_tiny(name: str, tmp_path: Path, **environment: str) -> str:
    """`python -m bench name` at the tiny size in `tmp_path`; its output, checked for the
    benchmark's ratio lines."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MI_")}
    env.update(environment, MI_BENCH_SIZE="tiny", PYTHONPATH=str(REPO), MI_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "bench", name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"python -m bench {name} failed:\n{output[-4000:]}"
    for pattern in RATIO_LINES[name]:
        assert re.search(pattern, done.stdout, re.MULTILINE), (
            f"python -m bench {name} printed no line matching {pattern!r}:\n{done.stdout[-4000:]}"
        )
    return done.stdout


def test_every_benchmark_is_listed_and_has_its_ratio_lines_here() -> None:
    with_main = {
        path.stem
        for path in (REPO / "bench").glob("*.py")
        if "\ndef main() -> None:" in path.read_text()
    }
    assert with_main == set(BENCHMARKS)
    assert set(RATIO_LINES) == set(BENCHMARKS)
    assert set(BENCHMARKS) >= PEER_BENCHMARKS


@pytest.mark.parametrize("name", sorted(set(BENCHMARKS) - PEER_BENCHMARKS))
def test_a_benchmark_runs_to_its_ratio_line(name: str, tmp_path: Path) -> None:
    run_tiny(name, tmp_path)


def test_the_insight_cache_benchmark_runs_on_the_test_postgres(
    postgres_url: str, tmp_path: Path
) -> None:
    run_tiny("insight_cache", tmp_path, MI_BENCH_DATABASE_URL=postgres_url)


def test_the_jobs_benchmark_runs_on_the_machines_redis(
    machine_redis_url: str, tmp_path: Path
) -> None:
    run_tiny("jobs", tmp_path, MI_BENCH_REDIS_URL=machine_redis_url)


def test_the_bigquery_benchmark_runs_on_the_emulator(
    bigquery_emulator: BigQueryEmulator, tmp_path: Path
) -> None:
    run_tiny(
        "bigquery_layer",
        tmp_path,
        MI_BENCH_BIGQUERY_ENDPOINT=bigquery_emulator.endpoint,
        MI_BENCH_BIGQUERY_PROJECT=bigquery_emulator.project,
    )


@pytest.mark.peer  # a Langflow server of its own (tests/langflow_server.py's start_langflow)
def test_the_flows_benchmark_runs_through_langflow(tmp_path: Path) -> None:
    run_tiny("flows", tmp_path)
