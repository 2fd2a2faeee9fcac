"""Markdown narrative of a report, rendered from its insights alone."""

from __future__ import annotations

from marketing_intel.analysis.report import Insight, InsightReport
from marketing_intel.analysis_templates import template_specs

_BADGES = {"critical": "🔴", "warning": "🟠", "notice": "🟡", "info": "🔵"}


def render_narrative(report: InsightReport) -> str:
    """A markdown summary: a heading, the window, then each insight with its numbers."""
    # A stored report may outlive its template's registration: its name is heading enough.
    spec = template_specs().get(report.template)
    title = spec.title if spec else report.template
    lines = [
        f"## {title} for {report.tenant_id}",
        f"{report.window.start} to {report.window.end} ({report.window.days} days).",
        "",
    ]
    insights = report.ranked_insights()
    if not insights:
        lines.append("Nothing stood out in this window.")
    for insight in insights:
        lines.append(f"- {_BADGES[insight.severity]} **{insight.title}**{_numbers(insight)}")
        if insight.recommendation:
            lines.append(f"  - Recommendation: {insight.recommendation}")
    return "\n".join(lines)


def _numbers(insight: Insight) -> str:
    parts = []
    if insight.metric and insight.value is not None:
        parts.append(f"{insight.metric} {format_number(insight.value)}")
    if insight.baseline is not None:
        parts.append(f"baseline {format_number(insight.baseline)}")
    if insight.change is not None:
        parts.append(f"change {insight.change:+.1%}")
    return f" ({', '.join(parts)})" if parts else ""


def format_number(value: float) -> str:
    """A number as people read it: thousands separators, at most 4 significant decimals."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
