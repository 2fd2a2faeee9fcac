"""Drawing a finding's chart: each kind (tests/chart_samples.py's numbers, shaped like the
templates') rendered to SVG, against vl-convert rendering a one-mark chart of the same size (the
renderer's floor); and the first chart of a fresh process, imports included (what `mi analyze
--html` and the bridge's first page pay once).

Targets (median, 2-core machine): a chart < 150 ms once warm; the first one < 3 s cold.
Measured December 2026 on the project's 2-core machine shared with other jobs (load 5-6):
series 58-125 ms, curve 51-95 ms, trend 48-51 ms once warm (3-4x the one-mark floor); the
first chart of a process 1.96 s wall, about 1 s of it altair's and vl-convert's imports and
vl-convert's first JavaScript run. A campaign_insights page with 15 charts: 1.9 s cold, 1.0 s
warm, 298 KiB.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys

from bench.size import sized
from bench.timing import median_seconds
from marketing_intel.charts import chart_svg
from marketing_intel.charts.render import VEGA_LITE_VERSION
from marketing_intel.charts.specs import HEIGHT, WIDTH
from tests.chart_samples import curve_sample, series_sample, trend_sample

WARM_TARGET_S, COLD_TARGET_S = 0.150, 3.0
REPEAT = sized(9, 2)
SAMPLES = {"series": series_sample, "curve": curve_sample, "trend": trend_sample}
FLOOR_SPEC = json.dumps(
    {
        "width": WIDTH,
        "height": HEIGHT,
        "data": {"values": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]},
        "mark": "line",
        "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y"}},
    }
)
COLD = (
    "from tests.chart_samples import series_sample\n"
    "from marketing_intel.charts import chart_svg\n"
    "chart_svg(series_sample())\n"
)


def main() -> None:
    """Print each kind's warm render time against the floor, then the cold first chart."""
    import vl_convert

    floor = median_seconds(
        lambda: vl_convert.vegalite_to_svg(FLOOR_SPEC, vl_version=VEGA_LITE_VERSION),
        repeat=REPEAT,
    )
    for kind, sample in SAMPLES.items():
        chart = sample()
        median = median_seconds(functools.partial(chart_svg, chart), repeat=REPEAT)
        verdict = "met" if median < WARM_TARGET_S else "MISSED"
        print(
            f"charts: {kind} warm {median * 1000:.0f} ms (target < {WARM_TARGET_S * 1000:.0f} ms,"
            f" {verdict}); one-mark floor {floor * 1000:.0f} ms; ratio {median / floor:.1f}x"
        )
    bare = median_seconds(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    cold = median_seconds(
        lambda: subprocess.run([sys.executable, "-c", COLD], check=True), repeat=sized(3, 1)
    )
    verdict = "met" if cold < COLD_TARGET_S else "MISSED"
    print(
        f"charts: first chart of a process {cold:.2f} s (target < {COLD_TARGET_S:.0f} s, "
        f"{verdict}); baseline python -c pass {bare:.2f} s; ratio {cold / bare:.1f}x"
    )
