"""`chart_svg`: a finding's chart numbers as an SVG picture, drawn on demand."""

from __future__ import annotations

import json
from html import escape

from marketing_intel.analysis.report import ChartData
from marketing_intel.charts.description import chart_description
from marketing_intel.errors import MarketingIntelError

# The Vega-Lite version vl-convert renders with (altair 5.5 writes v5.20 specs).
VEGA_LITE_VERSION = "5.20"
_SVG_OPEN = "<svg "


class ChartError(MarketingIntelError):
    """A chart that cannot be drawn from its numbers; the message says which and why."""


def chart_svg(chart: ChartData) -> str:
    """The chart as a standalone SVG document: text only (no scripts, fonts or links), with
    `role="img"` and a `<title>` describing it for screen readers."""
    if not chart.points:
        raise ChartError(f"The chart {chart.title!r} has no points to draw; give it some.")
    # Imported here: altair and vl-convert take about a second, which only drawing should pay.
    import vl_convert

    from marketing_intel.charts.specs import BUILDERS

    spec = BUILDERS[chart.kind](chart).to_dict(validate=False)
    try:
        svg = str(vl_convert.vegalite_to_svg(json.dumps(spec), vl_version=VEGA_LITE_VERSION))
    except ValueError as error:  # vl-convert reports a spec it cannot render as ValueError
        raise ChartError(f"The chart {chart.title!r} could not be drawn: {error}") from None
    return _titled(svg, chart_description(chart))


def _titled(svg: str, description: str) -> str:
    """`svg` announced as one image with `description` (Vega's own SVG labels each mark only)."""
    if not svg.startswith(_SVG_OPEN):
        raise ChartError("The chart renderer returned something other than SVG; report this.")
    head, _, rest = svg.partition(">")
    title = f"<title>{escape(description)}</title>"
    return f'{head} role="img" aria-label="{escape(description)}">{title}{rest}'
