"""The four analysis template nodes: Campaign Insights, Platform Events Analysis, Audience
Trends and ROI Optimizer.

Thin adapters over `marketing_intel.analysis.run_template`: a tenant and a window in; the
report as Data (and as JSON text, to pass on), its evidence table as a DataFrame and its
narrative as a Message out. They share
one base, `_AnalysisTemplateComponent`, kept in this file so a flow that embeds this file's
code runs on its own. Each node's sidebar card (display name, description, icon) is its
template's spec (`marketing_intel.analysis_templates`); a new template adds its class here.
"""

from __future__ import annotations

from abc import ABC
from typing import Any

from lfx.custom.custom_component.component import Component
from lfx.inputs.inputs import InputTypes
from lfx.io import DictInput, HandleInput, IntInput, Output, StrInput
from lfx.schema.data import Data
from lfx.schema.dataframe import DataFrame
from lfx.schema.message import Message
from lfx_marketing_intel.marketing_intel._node_errors import node_errors
from lfx_marketing_intel.marketing_intel._run_once import run_once
from lfx_marketing_intel.marketing_intel._shared_inputs import tenant_input

from marketing_intel.analysis_templates import template_spec


# An ABC, not a bare class: lfx's code parser reads the source of each node's bases two levels
# up, and `object` has none (Langflow logged a traceback per node at start-up).
class _AnalysisTemplateComponent(ABC):
    """What the template nodes share: inputs -> `run_template` -> four outputs.

    Not a Component itself (no Component base), so Langflow registers only the four nodes;
    its name ends in "Component" so Langflow's bundle validator sees the nodes' inherited
    entry points.
    """

    inputs: list[InputTypes] = [
        tenant_input("The tenant whose data the report reads."),
        IntInput(
            name="days",
            display_name="Last N Days",
            info="The window: the last N days up to today (UTC), unless dates are given.",
            value=28,
        ),
        StrInput(
            name="start_date",
            display_name="Start Date",
            info="YYYY-MM-DD; with an end date, replaces Last N Days.",
            advanced=True,
        ),
        StrInput(
            name="end_date",
            display_name="End Date",
            info="YYYY-MM-DD, inclusive.",
            advanced=True,
        ),
        StrInput(
            name="markets",
            display_name="Markets",
            info="The tenant's markets, e.g. US, GB-SCT (ISO country codes, optionally with a "
            "subdivision): findings on their public holidays say so. Empty: the MI_MARKETS "
            "setting.",
            advanced=True,
        ),
        DictInput(
            name="options",
            display_name="Options",
            info="Template options (thresholds, bounds) by name; see the template's docs.",
            is_list=True,
            advanced=True,
        ),
        HandleInput(
            name="insight_cache",
            display_name="Insight Cache",
            info="Optional: a PostgreSQL Insight Cache node. A fresh stored report is returned "
            "instead of running the template (the status says so).",
            input_types=["InsightCacheHandle"],
            required=False,
        ),
    ]
    # group_outputs: all four handles show at once, so a flow can wire several of them (the
    # canvas otherwise shows one output at a time and drops edges from the others).
    outputs: list[Output] = [
        Output(display_name="Report", name="report", method="build_report", group_outputs=True),
        Output(
            display_name="Report JSON",
            name="report_json",
            method="build_report_json",
            group_outputs=True,
        ),
        Output(
            display_name="Evidence", name="evidence", method="build_evidence", group_outputs=True
        ),
        Output(
            display_name="Narrative", name="narrative", method="build_narrative", group_outputs=True
        ),
    ]

    template_name: str
    tenant_id: str
    days: int
    start_date: str
    end_date: str
    markets: str
    options: dict[str, Any]
    insight_cache: Any
    status: Any

    def build_report(self) -> Data:
        """The whole report (insights with their evidence, the table, the narrative)."""
        return Data(data=self._report().model_dump(mode="json"))

    def build_report_json(self) -> Message:
        """The whole report as compact JSON text (in a ```json block), for nodes that pass it
        on: Langflow logs and serializes Data node by node on every run, and text in one piece."""
        from marketing_intel.fenced_json import fence_json

        return Message(text=fence_json(self._report().model_dump_json()))

    def build_evidence(self) -> DataFrame:
        """The report's main evidence table."""
        return DataFrame(self._report().table)

    def build_narrative(self) -> Message:
        """The report as markdown, rendered from its insights; when findings have charts, a
        last line says where their page is (the Playground cannot show images inline)."""
        from marketing_intel.report_page.chat_note import charts_note

        report = self._report()
        note = charts_note(report)
        return Message(text=f"{report.narrative}\n\n{note}" if note else report.narrative)

    @run_once
    def _report(self) -> Any:
        """The outputs come from one run of the template."""
        import datetime as dt

        from marketing_intel.analysis import Window, run_template
        from marketing_intel.analysis.cached import cached_report
        from marketing_intel.config import current_settings
        from marketing_intel.lake import shared_lake

        now = dt.datetime.now(dt.UTC)
        with node_errors():
            days, start, end = self._window_inputs()
            window = Window.from_inputs(days=days, start=start, end=end, today=now.date())
            lake = shared_lake(current_settings(), component=f"langflow-{self.template_name}")
            options = self._options()
            if self.insight_cache:
                found = cached_report(
                    self.insight_cache.cache,
                    self.template_name,
                    lake,
                    self.tenant_id,
                    window,
                    options,
                    now=now,
                    ttl_s=self.insight_cache.ttl_s,
                )
                report, source = found.report, _source(found)
            else:
                report = run_template(
                    self.template_name, lake, self.tenant_id, window, options, now=now
                )
                source = ""
        self.status = f"{source}{len(report.insights)} insights, {len(report.table)} rows"
        return report

    def _options(self) -> dict[str, Any]:
        """The template options: the Options input, with the Markets input's markets."""
        options = dict(self.options or {})
        if (self.markets or "").strip():
            if "markets" in options:
                raise ValueError("Give the markets once: in Markets or in Options, not both.")
            options["markets"] = self.markets
        return options

    def _window_inputs(self) -> tuple[int | None, str | None, str | None]:
        """Days, start and end: from the run's global variables `WINDOW_DAYS`, `WINDOW_START`,
        `WINDOW_END` when any is given, else from the node's fields. `lfx serve` takes no
        tweaks, and its `global_vars` reach no plain field, only the graph's request variables
        (where Langflow's `X-LANGFLOW-GLOBAL-VAR-*` headers go too); the window is a field
        callers may set anyway (`api_editable`). The tenant is never read from them."""
        vertex = getattr(self, "_vertex", None)
        context = getattr(vertex.graph, "context", None) if vertex is not None else None
        given = (context or {}).get("request_variables") or {}
        if not any(name in given for name in WINDOW_VARIABLES):
            return self.days, self.start_date, self.end_date
        days = str(given.get("WINDOW_DAYS") or "").strip()
        if days and not days.isdigit():
            raise ValueError(f"WINDOW_DAYS must be a whole number of days, not {days!r}")
        return (int(days) if days else None), given.get("WINDOW_START"), given.get("WINDOW_END")


# The run's global variables that give the window (see `_window_inputs`).
WINDOW_VARIABLES = ("WINDOW_DAYS", "WINDOW_START", "WINDOW_END")


def _card(template: str) -> tuple[str, str, str]:
    """The node's display name, description and icon: its template's spec says them once."""
    node = template_spec(template).node
    return node.display_name, node.description, node.icon


def _source(found: Any) -> str:
    """Where a cached-path report came from, for the node's status."""
    if found.hit:
        return f"Cache hit (stored {found.stored_at:%Y-%m-%d %H:%M:%S} UTC): "
    if found.discarded_malformed:
        return "Computed (the stored report was unreadable and was replaced): "
    return "Computed and cached: "


class CampaignInsightsComponent(_AnalysisTemplateComponent, Component):
    """Campaign KPIs against the previous window, top and bottom performers, anomalies, actions."""

    name = "CampaignInsights"
    template_name = "campaign_insights"
    display_name, description, icon = _card(template_name)


class PlatformEventsAnalysisComponent(_AnalysisTemplateComponent, Component):
    """Event volumes, failure rates, delivery lag, silent integrations, spikes, duplicates."""

    name = "PlatformEventsAnalysis"
    template_name = "platform_events"
    display_name, description, icon = _card(template_name)


class AudienceTrendsComponent(_AnalysisTemplateComponent, Component):
    """Segment growth and engagement trends with confidence, conversion and revenue per segment."""

    name = "AudienceTrends"
    template_name = "audience_trends"
    display_name, description, icon = _card(template_name)


class ROIOptimizerComponent(_AnalysisTemplateComponent, Component):
    """Response curves, marginal ROAS and a budget reallocation at the same total spend."""

    name = "ROIOptimizer"
    template_name = "roi_optimization"
    display_name, description, icon = _card(template_name)
