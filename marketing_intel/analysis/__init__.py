"""The four analysis templates: BigQuery SQL for the heavy aggregation, deterministic Python for
the statistics, an `InsightReport` out. Numbers never come from a language model."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any, Protocol

from marketing_intel.analysis.narrative import render_narrative
from marketing_intel.analysis.report import Insight, InsightReport, Window
from marketing_intel.lake import Lake

__all__ = ["TEMPLATES", "Insight", "InsightReport", "Window", "render_narrative", "run_template"]

# Template name -> module under marketing_intel.analysis, each with `Options` and `analyze`.
TEMPLATES = {
    "campaign_insights": "campaign_insights",
    "platform_events": "platform_events",
    "audience_trends": "audience_trends",
    "roi_optimization": "roi_optimization",
}


class Analyze(Protocol):
    """A template's entry point."""

    def __call__(
        self, lake: Lake, tenant_id: str, window: Window, options: Any, *, now: dt.datetime
    ) -> InsightReport: ...


def run_template(
    name: str,
    lake: Lake,
    tenant_id: str,
    window: Window,
    options: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
) -> InsightReport:
    """Run template `name` for a tenant and window; `options` are validated by its `Options`."""
    if name not in TEMPLATES:
        raise ValueError(f"unknown template {name!r}; choose one of {', '.join(TEMPLATES)}")
    now = now or dt.datetime.now(dt.UTC)
    if window.start > now.date():
        raise ValueError(f"the window starts in the future ({window.start}); pick past dates")
    module = importlib.import_module(f"marketing_intel.analysis.{TEMPLATES[name]}")
    report: InsightReport = module.analyze(
        lake, tenant_id, window, module.Options(**(options or {})), now=now
    )
    return report.model_copy(update={"narrative": render_narrative(report)})
