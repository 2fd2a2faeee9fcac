"""Each analysis template end to end against its SQL alone, over 10M campaign_metrics rows and
10M platform_events rows in the embedded lake.

"SQL alone" is the time the template's queries spend in the lake, measured in the same run by
wrapping the lake; the rest is the Python statistics. Targets: end to end within 1.5x of the
SQL, and under 5 s.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.lake_query import CAMPAIGNS, DAYS, FIRST_DAY, TENANTS, _metrics
from marketing_intel.analysis import Window, run_template
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.lake import DuckDBLake, QueryLimits, QueryParameter, QueryResult

# ~10M platform_events rows (and their raw deliveries and audiences) from the demo generator.
EVENTS = DemoSpec(end_date=FIRST_DAY + dt.timedelta(days=DAYS - 1), tenants=10, days=365, scale=6.9)
# Which tenant's data each template reads: campaign rows come from bench/lake_query.py.
TEMPLATE_TENANTS = {
    "campaign_insights": "bench-3",
    "roi_optimization": "bench-3",
    "platform_events": "demo-3",
    "audience_trends": "demo-3",
}


class TimedLake:
    """A lake that adds up the time its queries take."""

    def __init__(self, lake: DuckDBLake) -> None:
        self.lake = lake
        self.engine = lake.engine
        self.seconds = 0.0

    def query(
        self,
        sql: str,
        params: Sequence[QueryParameter] = (),
        *,
        tenant_id: str,
        limits: QueryLimits = QueryLimits(),  # noqa: B008 - frozen
    ) -> QueryResult:
        """The wrapped lake's query, timed."""
        started = time.perf_counter()
        try:
            return self.lake.query(sql, params, tenant_id=tenant_id, limits=limits)
        finally:
            self.seconds += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self.lake, name)


def main() -> None:
    """Load the data, then time each template and print the ratios."""
    with tempfile.TemporaryDirectory() as folder:
        lake = DuckDBLake(Path(folder) / "bench.duckdb")
        started = time.perf_counter()
        rng = np.random.default_rng(1)
        for number in range(TENANTS):
            lake.insert("campaign_metrics", _metrics(number, rng))
        rows = seed_lake(lake, EVENTS)
        print(
            f"templates: {TENANTS * CAMPAIGNS * DAYS:,} campaign_metrics and "
            f"{rows['platform_events']:,} platform_events rows loaded in "
            f"{time.perf_counter() - started:.0f} s"
        )
        end = EVENTS.end_date
        window = Window(start=end - dt.timedelta(days=27), end=end)
        now = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        for template, tenant in TEMPLATE_TENANTS.items():
            run_template(template, lake, tenant, window, now=now)  # warm the file cache
            timed = TimedLake(lake)
            started = time.perf_counter()
            report = run_template(template, timed, tenant, window, now=now)
            total = time.perf_counter() - started
            print(
                f"  {template:<18} end to end {total:5.2f} s, SQL alone {timed.seconds:5.2f} s: "
                f"{total / timed.seconds:.2f}x (target <= 1.5x, < 5 s); "
                f"{len(report.insights)} insights"
            )
