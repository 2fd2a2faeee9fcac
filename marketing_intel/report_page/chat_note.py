"""Where a chat reader finds a report's charts.

Langflow 1.13's Playground cannot show them inline: its chat markdown keeps image URLs over
http(s) only (react-markdown's URL filter and rehype-sanitize drop `data:` URIs; proven in the
browser by tests/test_langflow_ui.py), and the bridge's page needs an API key a plain link cannot
carry. So the chat's narrative ends with the two ways to open the page.
"""

from __future__ import annotations

from marketing_intel.analysis.report import InsightReport


def charts_note(report: InsightReport) -> str | None:
    """A markdown line naming the page's two doors (the bridge and `mi analyze --html`), or
    None when no finding has a chart."""
    charted = sum(1 for insight in report.insights if insight.chart is not None)
    if not charted:
        return None
    window = report.window
    return (
        f"📈 {charted} chart{'s' if charted > 1 else ''} of these findings: the report's page "
        f"from the bridge, `GET /v1/insights/{report.template}?start={window.start}"
        f"&end={window.end}&format=html` (the tenant's API key), or `mi analyze "
        f"{report.template} --tenant {report.tenant_id} --start {window.start} "
        f"--end {window.end} --html report.html`."
    )
