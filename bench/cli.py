"""`mi` start-up as a user meets it: `mi --help`, a count with `mi query`, `mi analyze`.

Each is a fresh process (the installed `mi` script) on the demo lake, seeded once into a
temporary home. Baseline: `python -c pass`, a bare interpreter start measured in the same run.
Targets (median of 5, 2-core machine): `--help` < 0.5 s, the query < 1.5 s, analyze < 2 s.

Where the time goes (December 2026, nearly idle machine: --help 0.29 s, the query 1.98 s,
analyze 2.34 s; import costs from `python -X importtime` and wall-clock `python -c "import m"`):
- pandas, 0.9 s alone (about 0.55 s beyond the numpy and pyarrow the lake needs anyway): DuckDB's
  Python client imports it for the first query with a parameter (its value conversion compares
  every value with pandas.NaT and pandas.NA first: duckdb-python, python_conversion.cpp,
  GetPythonObjectType), and every lake query has one, the tenant. With pandas kept out by force,
  the same count took 1.12-1.18 s. In analyze, pyarrow imports it too (a TIMESTAMP with time
  zone to Python in `to_pylist`), so binding parameters another way would not spare it there;
- the lake package, 0.83 s: sqlglot 0.26, pyarrow and numpy 0.2, the settings (pydantic-settings)
  0.24, DuckDB 0.03-0.08; then rich's console 0.13 s and typer 0.08 s;
- analyze also: scipy.special 0.36 s (the anomaly test's Poisson tail, `pdtr`; scipy's array-API
  layer imports numpy.f2py and more), the report models 0.16 s, rich.markdown 0.08 s (now only
  when the report is printed as Markdown, not with --json).
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
