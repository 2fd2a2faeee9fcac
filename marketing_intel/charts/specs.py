"""One Vega-Altair chart per `ChartData.kind`: what each picture shows and how it looks.

Every chart is small (480x200), titled, with axis titles and a description for screen readers;
colours come from the Okabe-Ito palette, which people with any common colour-vision deficiency
can tell apart. Callers import this module only when drawing (`render.py` does): it imports
altair.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import altair as alt

from marketing_intel.analysis.report import ChartData, ChartPoint
from marketing_intel.charts.description import chart_description

WIDTH, HEIGHT = 480, 200
# Okabe & Ito (2008), "Color Universal Design": distinguishable under protan/deutan/tritan vision.
OBSERVED = "#0072B2"  # blue
EXPECTED = "#555555"  # dark grey: the baseline or model, drawn dashed
BAND = "#56B4E9"  # sky blue, translucent
OUTSIDE = "#D55E00"  # vermillion: a point outside its band
MARKER = "#000000"
SERIES_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442"]


def series_chart(chart: ChartData) -> alt.LayerChart:
    """Observed values over days against the expected line and band, a labelled rule at each
    marker (a finding's first and last day), and the finding's days that lie outside the band
    highlighted. Other days outside the band stay plain: a band of two spreads holds most
    ordinary days, not all, and only the finding's days passed the report's tests."""
    rows = _rows(chart.points)
    x = _day_axis(chart.x_title)
    y_scale = alt.Scale(zero=False)
    y = alt.Y("y:Q", title=chart.y_title, scale=y_scale)
    base = alt.Chart(alt.Data(values=rows))
    layers: list[Any] = [
        base.transform_filter("isValid(datum.low) && isValid(datum.high)")
        .mark_area(color=BAND, opacity=0.3)
        .encode(x=x, y=alt.Y("low:Q", title=chart.y_title, scale=y_scale), y2="high:Q"),
        base.transform_filter("isValid(datum.expected)")
        .mark_line(color=EXPECTED, strokeDash=[4, 3], strokeWidth=1.5)
        .encode(x=x, y=alt.Y("expected:Q", title=chart.y_title, scale=y_scale)),
        base.transform_filter("isValid(datum.y)")
        .mark_line(color=OBSERVED, strokeWidth=2, point=alt.OverlayMarkDef(size=12))
        .encode(x=x, y=y),
        base.transform_filter(
            "isValid(datum.y) && ((isValid(datum.high) && datum.y > datum.high)"
            " || (isValid(datum.low) && datum.y < datum.low))"
        )
        .transform_filter(_within_markers(chart))
        .mark_point(color=OUTSIDE, filled=True, size=70)
        .encode(x=x, y=y),
    ]
    return _finish(chart, layers, _marker_layers(chart, "T"))


def curve_chart(chart: ChartData) -> alt.LayerChart:
    """A response curve over spend: the fitted line (`expected`) with its band, the observed
    days as points, and labelled rules at the current and proposed spend (`markers`)."""
    rows = _rows(chart.points)
    x = alt.X("x:Q", title=chart.x_title)
    base = alt.Chart(alt.Data(values=rows))
    layers: list[Any] = [
        base.transform_filter("isValid(datum.low) && isValid(datum.high)")
        .mark_area(color=BAND, opacity=0.3)
        .encode(x=x, y=alt.Y("low:Q", title=chart.y_title), y2="high:Q"),
        base.transform_filter("isValid(datum.expected)")
        .mark_line(color=EXPECTED, strokeWidth=2)
        .encode(x=x, y=alt.Y("expected:Q", title=chart.y_title)),
        base.transform_filter("isValid(datum.y)")
        .mark_point(color=OBSERVED, filled=True, size=30, opacity=0.8)
        .encode(x=x, y=alt.Y("y:Q", title=chart.y_title)),
    ]
    return _finish(chart, layers, _marker_layers(chart, "Q"))


def trend_chart(chart: ChartData) -> alt.LayerChart:
    """Several series over days (segments, platforms): each observed line in its own colour,
    its fitted line (`expected`) dashed in the same colour, a legend naming them."""
    rows = _rows(chart.points)
    names = list(dict.fromkeys(point.series for point in chart.points))
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=names, range=SERIES_COLOURS[: max(len(names), 1)]),
        legend=alt.Legend(orient="bottom"),
    )
    x = _day_axis(chart.x_title)
    base = alt.Chart(alt.Data(values=rows))
    layers: list[Any] = [
        base.transform_filter("isValid(datum.y)")
        .mark_line(strokeWidth=2)
        .encode(
            x=x, y=alt.Y("y:Q", title=chart.y_title, scale=alt.Scale(zero=False)), color=colour
        ),
        base.transform_filter("isValid(datum.expected)")
        .mark_line(strokeDash=[4, 3], strokeWidth=1.5)
        .encode(x=x, y=alt.Y("expected:Q", title=chart.y_title), color=colour),
    ]
    return _finish(chart, layers, _marker_layers(chart, "T"))


def _within_markers(chart: ChartData) -> str:
    """A Vega expression true for the days from the first marker to the last; every day when
    there is no marker. (Vega-Lite has parsed `x` into a date by then, hence `time(toDate())`.)"""
    days = sorted(str(_value(marker.x)) for marker in chart.markers)
    if not days:
        return "true"
    first, last = json.dumps(days[0]), json.dumps(days[-1])
    day = "time(toDate(datum.x))"
    return f"{day} >= time(toDate({first})) && {day} <= time(toDate({last}))"


def _finish(chart: ChartData, layers: list[Any], markers: list[Any]) -> alt.LayerChart:
    return alt.layer(*layers, *markers).properties(
        title=chart.title, width=WIDTH, height=HEIGHT, description=chart_description(chart)
    )


def _marker_layers(chart: ChartData, x_type: str) -> list[Any]:
    """A rule and its label per marker; labels sit at the top, left-aligned beside the rule, each
    a line lower than the one before (markers a day apart would print over each other)."""
    if not chart.markers:
        return []
    rows = [
        {"x": _value(marker.x), "label": marker.label, "offset": 2 + 11 * index}
        for index, marker in enumerate(chart.markers)
    ]
    x = _day_axis(chart.x_title) if x_type == "T" else alt.X("x:Q", title=chart.x_title)
    base = alt.Chart(alt.Data(values=rows)).encode(x=x)
    return [
        base.mark_rule(color=MARKER, strokeDash=[2, 2], strokeWidth=1),
        base.mark_text(align="left", baseline="top", dx=3, fontSize=10, color=MARKER).encode(
            y=alt.Y("offset:Q", scale=None), text="label:N"
        ),
    ]


def _day_axis(title: str) -> alt.X:
    """Days on x, read and labelled in UTC: a day is a calendar date, and must not shift to the
    day before in a renderer west of Greenwich."""
    return alt.X(
        "x:T", title=title, scale=alt.Scale(type="utc"), axis=alt.Axis(format="%b %d", labelAngle=0)
    )


def _rows(points: list[ChartPoint]) -> list[dict[str, Any]]:
    return [
        {
            "x": _value(point.x),
            "y": point.y,
            "expected": point.expected,
            "low": point.low,
            "high": point.high,
            "series": point.series,
        }
        for point in points
    ]


def _value(x: dt.date | float) -> str | float:
    # Vega-Lite parses an ISO date (no time) as UTC midnight; `_day_axis` keeps it there.
    return x.isoformat() if isinstance(x, dt.date) else x


BUILDERS = {"series": series_chart, "curve": curve_chart, "trend": trend_chart}
