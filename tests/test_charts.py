"""Each chart kind draws to valid SVG with the marks its kind promises: titles, axis titles,
marker labels, the band, the highlighted points outside it, one colour per trend series. The
SVG is parsed, not compared as text."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from marketing_intel.analysis.report import ChartData
from marketing_intel.charts import ChartError, chart_svg
from marketing_intel.charts.specs import BAND, OUTSIDE, SERIES_COLOURS
from tests.chart_samples import TREND_SEGMENTS, curve_sample, series_sample, trend_sample

SVG = "{http://www.w3.org/2000/svg}"


def parsed(chart: ChartData) -> ET.Element:
    """The chart's SVG, parsed (a malformed document fails here)."""
    root = ET.fromstring(chart_svg(chart))
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def marks(root: ET.Element, role: str) -> list[ET.Element]:
    """The SVG groups Vega draws for marks of one type ("area", "line", "symbol", "rule")."""
    return [g for g in root.iter(f"{SVG}g") if f"mark-{role} " in g.get("class", "") + " "]


def fills(root: ET.Element, role: str) -> list[str]:
    return [path.get("fill", "") for g in marks(root, role) for path in g.iter(f"{SVG}path")]


def assert_accessible(root: ET.Element, chart: ChartData) -> None:
    """Titled for screen readers (role img, a <title> and label naming the chart and axes)."""
    assert root.get("role") == "img"
    label = root.get("aria-label", "")
    assert chart.title in label
    assert chart.y_title in label
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == label
    assert {chart.title, chart.x_title, chart.y_title} <= set(texts(root))


def assert_self_contained(svg: str) -> None:
    for outside in ("<script", "<image", "<foreignObject", "@font-face", "url(", "href="):
        assert outside not in svg


def test_a_series_shows_its_band_expected_line_and_the_day_outside_it() -> None:
    chart = series_sample()
    root = parsed(chart)
    assert_accessible(root, chart)
    assert f"spike {chart.markers[0].x}" in texts(root)
    assert BAND.lower() in [fill.lower() for fill in fills(root, "area")]
    assert len(marks(root, "line")) == 2  # observed and expected
    # Only the planted day lies outside its band; its point is drawn in the highlight colour.
    assert [fill.lower() for fill in fills(root, "symbol")].count(OUTSIDE.lower()) == 1
    assert len(marks(root, "rule")) >= 1
    assert_self_contained(chart_svg(chart))


def test_a_curve_shows_the_fit_its_band_the_observed_days_and_both_spends() -> None:
    chart = curve_sample()
    root = parsed(chart)
    assert_accessible(root, chart)
    assert {"current", "proposed"} <= set(texts(root))
    assert "marked: current, proposed" in root.get("aria-label", "")
    assert fills(root, "area")
    observed = sum(1 for point in chart.points if point.y is not None)
    assert len(fills(root, "symbol")) == observed
    assert_self_contained(chart_svg(chart))


def test_a_trend_draws_each_series_and_its_fit_in_one_colour_with_a_legend() -> None:
    chart = trend_sample()
    root = parsed(chart)
    assert_accessible(root, chart)
    assert set(TREND_SEGMENTS) <= set(texts(root))  # the legend names every series
    strokes = [
        path.get("stroke", "").lower() for g in marks(root, "line") for path in g.iter(f"{SVG}path")
    ]
    for colour in SERIES_COLOURS[: len(TREND_SEGMENTS)]:
        assert strokes.count(colour.lower()) == 2  # the observed line and its fit
    assert_self_contained(chart_svg(chart))


def test_text_from_data_is_escaped_inside_the_svg() -> None:
    chart = series_sample(title="<script>alert(1)</script> & co")
    svg = chart_svg(chart)
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in svg
    assert ET.fromstring(svg).get("aria-label", "").startswith("<script>alert(1)")


def test_a_chart_without_points_is_refused_with_a_reason() -> None:
    chart = series_sample().model_copy(update={"points": []})
    with pytest.raises(ChartError, match="has no points to draw"):
        chart_svg(chart)


def test_importing_the_charts_package_does_not_import_altair() -> None:
    """The CLI, templates and nodes import `marketing_intel.charts` without paying for altair."""
    code = (
        "import sys, marketing_intel.charts, marketing_intel.report_page;"
        "print('altair' in sys.modules, 'vl_convert' in sys.modules, 'jinja2' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.split() == ["False", "False", "False"]


def test_days_keep_their_date_in_a_renderer_west_of_greenwich() -> None:
    """A day is a calendar date: drawn in Los Angeles, the first day is still labelled Nov 01
    (local time would put its UTC midnight on Oct 31)."""
    code = (
        "from tests.chart_samples import series_sample\n"
        "from marketing_intel.charts import chart_svg\n"
        "print(chart_svg(series_sample()))\n"
    )
    environment = {**os.environ, "TZ": "America/Los_Angeles"}
    svg = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    ).stdout
    labels = texts(ET.fromstring(svg))
    assert "Nov 01" in labels
    assert "Oct 31" not in labels
