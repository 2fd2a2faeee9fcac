"""The numbers of a finding's picture: a daily series against its expected band.

Charts stay compact (at most MAX_POINTS days, values rounded to 4 significant digits), so a
report with five charts is still a small JSON document; `marketing_intel.charts` draws them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from marketing_intel.analysis.report import ChartData, ChartMarker, ChartPoint

MAX_POINTS = 90


def rounded(value: float | None) -> float | None:
    """`value` to 4 significant digits; None for a missing or non-finite value."""
    if value is None or not math.isfinite(value):
        return None
    if value == 0:
        return 0.0
    digits = 3 - math.floor(math.log10(abs(value)))
    return round(value, digits)


def series_chart(
    *,
    title: str,
    y_title: str,
    days: Sequence[dt.date],
    values: Sequence[float | None],
    expected: Sequence[float | None],
    spread: Sequence[float | None],
    start: dt.date,
    end: dt.date,
) -> ChartData:
    """A "series" chart of the last MAX_POINTS days: each day's value, the expected value and
    the band expected +- 2 spreads (floored at 0), with markers at the finding's first and last
    day."""
    points = []
    for day, value, centre, width in list(zip(days, values, expected, spread, strict=True))[
        -MAX_POINTS:
    ]:
        low = high = None
        if centre is not None and width is not None and math.isfinite(centre * width):
            low, high = max(centre - 2 * width, 0.0), centre + 2 * width
        points.append(
            ChartPoint(
                x=day,
                y=rounded(value),
                expected=rounded(centre),
                low=rounded(low),
                high=rounded(high),
            )
        )
    markers = [ChartMarker(x=start, label="starts")]
    if end != start:
        markers.append(ChartMarker(x=end, label="ends"))
    return ChartData(
        kind="series", title=title, x_title="day", y_title=y_title, points=points, markers=markers
    )
