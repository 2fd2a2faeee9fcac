"""Pictures of findings: a finding's `ChartData` drawn with Vega-Altair and rendered to SVG by
vl-convert (offline, no browser).

Altair and vl-convert import only when a chart is drawn (about a second together), so the CLI,
the templates and the nodes do not pay for them unless they output pictures. The stored report
carries only the numbers (`Insight.chart`); images are made on output.
"""

from __future__ import annotations

from marketing_intel.charts.render import ChartError, chart_svg

__all__ = ["ChartError", "chart_svg"]
