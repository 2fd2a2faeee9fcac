"""`report_html`: an `InsightReport` as one HTML page, charts drawn inline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from marketing_intel.analysis.narrative import format_number
from marketing_intel.analysis.report import Insight, InsightReport
from marketing_intel.analysis_templates import template_specs
from marketing_intel.charts import ChartError, chart_svg

if TYPE_CHECKING:
    import jinja2

# The severity scale, as the page explains it beside each finding's badge.
SEVERITY_MEANING = {
    "critical": "money or data is being lost now; act today",
    "warning": "a material, confirmed change; act this week",
    "notice": "worth a look; confirmed but smaller or uncertain",
    "info": "context",
}


@dataclass(frozen=True)
class FindingView:
    """One finding as the page shows it: its numbers as text, its chart as SVG (or why not)."""

    insight: Insight
    numbers: list[tuple[str, str]]
    svg: str | None
    chart_problem: str | None


def report_html(report: InsightReport) -> str:
    """The whole page for `report`; charts are drawn now (about 60 ms each once warm)."""
    spec = template_specs().get(report.template)
    table_columns = list(dict.fromkeys(key for row in report.table for key in row))
    return _template().render(
        report=report,
        title=spec.title if spec else report.template,
        generated=report.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip(),
        narrative_html=_markdown_html(report.narrative),
        findings=[_finding(insight) for insight in report.ranked_insights()],
        severity_meaning=SEVERITY_MEANING,
        table_columns=table_columns,
        table_rows=[[_cell(row.get(column)) for column in table_columns] for row in report.table],
    )


def _finding(insight: Insight) -> FindingView:
    svg = problem = None
    if insight.chart is not None:
        try:
            svg = chart_svg(insight.chart)
        except ChartError as error:  # one bad chart must not cost the reader the whole page
            problem = str(error)
    return FindingView(insight, _numbers(insight), svg, problem)


def _numbers(insight: Insight) -> list[tuple[str, str]]:
    """The finding's numbers as (label, text) pairs, in reading order; absent ones left out."""
    pairs: list[tuple[str, str]] = []
    if insight.value is not None:
        pairs.append((insight.metric or "value", format_number(insight.value)))
    if insight.baseline is not None:
        pairs.append(("baseline", format_number(insight.baseline)))
    if insight.change is not None:
        pairs.append(("change", f"{insight.change:+.1%}"))
    if insight.start is not None:
        one_day = insight.end in (None, insight.start)
        pairs.append(("days", f"{insight.start}" + ("" if one_day else f" to {insight.end}")))
    if insight.impact is not None:
        pairs.append(("at stake", format_number(round(insight.impact, 2))))
    return pairs


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _markdown_html(text: str) -> str:
    """The narrative's markdown as HTML; raw HTML in it is escaped, not passed through."""
    from markdown_it import MarkdownIt  # rich's markdown parser, already ours

    return str(MarkdownIt("commonmark", {"html": False}).render(text))


@cache
def _template() -> jinja2.Template:
    # jinja2 comes with altair (and Langflow); autoescape makes every {{ value }} safe by default.
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("marketing_intel.report_page", "."),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return environment.get_template("report.html.j2")
