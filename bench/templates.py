"""Each analysis template end to end against its SQL alone, over 10M campaign_metrics rows and
10M platform_events rows in the embedded lake.

"SQL alone" is the time the template's queries spend in the lake, measured in the same run by
wrapping the lake; the rest is the Python statistics. Targets: end to end within 1.5x of the
SQL, and under 5 s.

The campaign rows are the demo generator's (weekly seasonality, budget changes, diminishing
returns, noise) for 10 advertisers of 500 campaigns each over ~5.5 years: what the templates are
built for. Uniform random rows (bench/lake_query.py's) make a third of all campaign-days look
anomalous and time the report's size rather than its statistics.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from bench.size import sized
from marketing_intel.analysis import Window, run_template
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.demo.campaigns import campaign_metrics
from marketing_intel.demo.plan import tenant_plan
from marketing_intel.lake import DuckDBLake, QueryLimits, QueryParameter, QueryResult

END_DATE = dt.date(2026, 6, 30)
# ~10M platform_events rows (and their raw deliveries and audiences) from the demo generator.
# (Tiny: 3 tenants, the fewest that hold the tenants TEMPLATE_TENANTS reads.)
EVENTS = sized(
    DemoSpec(end_date=END_DATE, tenants=10, days=365, scale=6.9),
    DemoSpec(end_date=END_DATE, tenants=3, days=60, scale=0.1),
)
# ~10M campaign_metrics rows: 10 advertisers x 500 campaigns (some launched later) x 2150 days.
CAMPAIGNS = sized(
    DemoSpec(end_date=END_DATE, tenants=10, days=2150, seed=11, campaigns=500),
    DemoSpec(end_date=END_DATE, tenants=3, days=60, seed=11, campaigns=5),
)
REPEAT = sized(5, 1)
# Which tenant's data each template reads: campaign rows come from load_advertisers.
TEMPLATE_TENANTS = {
    "campaign_insights": "advertiser-3",
    "roi_optimization": "advertiser-3",
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


def load_advertisers(lake: DuckDBLake) -> int:
    """Insert the CAMPAIGNS advertisers' campaign_metrics as tenants advertiser-1 .. -10 (the
    demo tenants of EVENTS keep their own campaigns); returns the rows inserted."""
    inserted = 0
    for index in range(1, CAMPAIGNS.tenants + 1):
        table = campaign_metrics(CAMPAIGNS, tenant_plan(CAMPAIGNS, index))
        tenant = pa.array(np.full(table.num_rows, f"advertiser-{index}"))
        table = table.set_column(table.schema.get_field_index("tenant_id"), "tenant_id", tenant)
        inserted += lake.insert("campaign_metrics", table).inserted
    return inserted


def main() -> None:
    """Load the data, then time each template and print the ratios."""
    with tempfile.TemporaryDirectory() as folder:
        lake = DuckDBLake(Path(folder) / "bench.duckdb")
        started = time.perf_counter()
        campaign_rows = load_advertisers(lake)
        rows = seed_lake(lake, EVENTS)
        print(
            f"templates: {campaign_rows:,} campaign_metrics and "
            f"{rows['platform_events']:,} platform_events rows loaded in "
            f"{time.perf_counter() - started:.0f} s"
        )
        end = EVENTS.end_date
        window = Window(start=end - dt.timedelta(days=27), end=end)
        now = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        for template, tenant in TEMPLATE_TENANTS.items():
            run_template(template, lake, tenant, window, now=now)  # warm the file cache
            totals, sql_times = [], []
            for _ in range(REPEAT):  # medians: one slow run on a busy machine does not decide
                timed = TimedLake(lake)
                started = time.perf_counter()
                report = run_template(template, timed, tenant, window, now=now)
                totals.append(time.perf_counter() - started)
                sql_times.append(timed.seconds)
            total, sql = statistics.median(totals), statistics.median(sql_times)
            print(
                f"  {template:<18} end to end {total:5.2f} s, SQL alone {sql:5.2f} s: "
                f"{total / sql:.2f}x (target <= 1.5x, < 5 s); "
                f"{len(report.insights)} insights"
            )
