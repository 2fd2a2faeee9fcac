"""What a chart shows, in words: the text a screen reader reads instead of the picture."""

from __future__ import annotations

from marketing_intel.analysis.report import ChartData


def chart_description(chart: ChartData) -> str:
    """One sentence: the title, what is plotted against what, and the marked places."""
    parts = [f"{chart.title}: {chart.y_title} by {chart.x_title}"]
    if chart.markers:
        parts.append("marked: " + ", ".join(marker.label for marker in chart.markers))
    return "; ".join(parts) + "."
