"""`mi` start-up as a user meets it: `mi --help`, a count with `mi query`, `mi analyze`.

Each is a fresh process (the installed `mi` script) on the demo lake, seeded once into a
temporary home. Baseline: `python -c pass`, a bare interpreter start measured in the same run.
Targets (median of 5, 2-core machine): `--help` < 0.5 s, the query < 1.5 s, analyze < 2 s.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.size import sized
from bench.timing import median_seconds
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.lake import DuckDBLake

MI = str(Path(sys.executable).with_name("mi"))
SPEC = sized(
    DemoSpec(end_date=dt.date.today(), tenants=3, days=90),
    DemoSpec(end_date=dt.date.today(), tenants=1, days=7, scale=0.1),
)
COMMANDS = {
    "mi --help": ([MI, "--help"], 0.5),
    "mi query (a count)": (
        [MI, "query", "SELECT COUNT(*) AS n FROM platform_events", "--tenant", "demo-1"],
        1.5,
    ),
    "mi analyze": ([MI, "analyze", "campaign_insights", "--tenant", "demo-1"], 2.0),
}


def _runner(command: list[str], home: Path) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "MI_HOME": str(home)}
    return subprocess.run(command, env=environment, capture_output=True, check=True, cwd=home)


def main() -> None:
    """Time each command (median of 5 after a warm-up) and print it against the targets."""
    baseline = median_seconds(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        lake = DuckDBLake(home / "lake.duckdb")
        seed_lake(lake, SPEC)
        lake.close()
        for label, (command, target) in COMMANDS.items():
            median = median_seconds(functools.partial(_runner, command, home))
            verdict = "met" if median < target else "MISSED"
            print(
                f"cli: {label}: {median:.2f} s (target < {target} s, {verdict}); "
                f"baseline python -c pass {baseline:.2f} s; ratio {median / baseline:.1f}x"
            )
