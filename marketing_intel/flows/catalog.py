"""The analysis flows: one entry per flow, shared by the builders, `mi flows`, the tests and any
caller of Langflow's run API.

Every analysis flow has the same shape and the same node ids, so a caller sets the tenant and
the window the same way for all four (`FlowSpec.tweaks`):

    ChatInput-tenant -> <template node> -> ChatOutput-report     (the report as JSON)
    InsightCache-cache ->               -> ChatOutput-narrative  (the report as markdown)
                                        -> ZeroDBMemoryStore-memory -> ChatOutput-memories

The cache serves a fresh stored report instead of re-running the template; the memory store
remembers each insight for agents (idempotently: a re-run stores nothing twice).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from marketing_intel.errors import MarketingIntelError

# Node ids (Langflow's "<Type>-<suffix>" convention; stable, so API tweaks can name them).
TENANT_NODE = "ChatInput-tenant"
TEMPLATE_NODE = "AnalysisTemplate-template"
REPORT_NODE = "ChatOutput-report"
NARRATIVE_NODE = "ChatOutput-narrative"
CACHE_NODE = "InsightCache-cache"
MEMORY_NODE = "ZeroDBMemoryStore-memory"
MEMORIES_NODE = "ChatOutput-memories"
# The template node's fields a caller may set over the API (the flow declares them
# `api_editable`, so under LANGFLOW_TWEAKS_POLICY=declared nothing else can be tweaked).
WINDOW_FIELDS = ("days", "start_date", "end_date", "options")
# Flow ids are uuid5 of the endpoint name in this namespace: stable across exports.
FLOW_ID_NAMESPACE = uuid.UUID("5d1c3c51-4a4e-4b83-9d55-6f0f6b1c1e28")


class FlowError(MarketingIntelError):
    """A flow that does not exist, cannot be found on disk or did not run."""


@dataclass(frozen=True)
class WindowChoice:
    """The window a caller asks for: the last `days` days, or `start`..`end` (YYYY-MM-DD)."""

    days: int | None = None
    start: str | None = None
    end: str | None = None

    def fields(self) -> dict[str, Any]:
        """The template node's window fields for this choice (the other ones cleared)."""
        if self.start or self.end:
            return {"start_date": self.start or "", "end_date": self.end or ""}
        return {"days": self.days or 28, "start_date": "", "end_date": ""}


@dataclass(frozen=True)
class FlowSpec:
    """One analysis flow: its endpoint (also its file name), template, and gallery card."""

    endpoint: str
    template: str
    component: str
    title: str
    description: str
    tags: tuple[str, ...]

    @property
    def flow_id(self) -> str:
        """The flow's stable top-level id."""
        return str(uuid.uuid5(FLOW_ID_NAMESPACE, self.endpoint))

    @property
    def file_name(self) -> str:
        """The exported JSON's file name under `flows/`."""
        return f"{self.endpoint}.json"

    def tweaks(self, tenant: str, window: WindowChoice) -> dict[str, dict[str, Any]]:
        """Langflow run-API tweaks that set the tenant and the window."""
        return {TENANT_NODE: {"input_value": tenant}, TEMPLATE_NODE: window.fields()}


ANALYSIS_FLOWS: dict[str, FlowSpec] = {
    spec.endpoint: spec
    for spec in (
        FlowSpec(
            endpoint="campaign-insights",
            template="campaign_insights",
            component="CampaignInsights",
            title="Campaign Insights",
            description=(
                "Per-campaign CTR, CVR, CPA and ROAS against the previous window, top and bottom "
                "performers, day-level anomalies and actions. Type a tenant id."
            ),
            tags=("marketing", "analysis", "campaigns"),
        ),
        FlowSpec(
            endpoint="platform-events-analysis",
            template="platform_events",
            component="PlatformEventsAnalysis",
            title="Platform Events Analysis",
            description=(
                "Webhook volumes by platform and type, failure rates, delivery lag, silent "
                "integrations and spikes. Type a tenant id."
            ),
            tags=("marketing", "analysis", "integrations"),
        ),
        FlowSpec(
            endpoint="audience-trends",
            template="audience_trends",
            component="AudienceTrends",
            title="Audience Trends",
            description=(
                "Segment growth and engagement trends with confidence, the fastest rising and "
                "declining segments, conversion per segment. Type a tenant id."
            ),
            tags=("marketing", "analysis", "audiences"),
        ),
        FlowSpec(
            endpoint="roi-optimization",
            template="roi_optimization",
            component="ROIOptimizer",
            title="ROI Optimization",
            description=(
                "Per-campaign response curves, marginal ROAS and a reallocation of the same "
                "budget within bounds, with the predicted uplift. Type a tenant id."
            ),
            tags=("marketing", "analysis", "budget"),
        ),
    )
}


def flow_spec(name: str) -> FlowSpec:
    """The analysis flow called `name` (its endpoint name)."""
    try:
        return ANALYSIS_FLOWS[name]
    except KeyError:
        raise FlowError(
            f"There is no analysis flow {name!r}; choose one of {', '.join(ANALYSIS_FLOWS)}."
        ) from None
