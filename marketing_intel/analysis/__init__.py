"""The four analysis templates: BigQuery SQL for the heavy aggregation, deterministic Python for
the statistics, an `InsightReport` out. Numbers never come from a language model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marketing_intel.analysis.market_options import effective_options
from marketing_intel.analysis.narrative import render_narrative
from marketing_intel.analysis.report import Insight, InsightReport, Window
from marketing_intel.analysis_templates import RegistryView, TemplateSpec, template_spec
from marketing_intel.config import current_settings
from marketing_intel.lake import Lake
from marketing_intel.template_spec import Analyze

__all__ = [
    "TEMPLATES",
    "Analyze",
    "Insight",
    "InsightReport",
    "Window",
    "render_narrative",
    "run_template",
    "template_options",
]

# Template name -> its spec, for every registered template (`marketing_intel.analysis_templates`).
TEMPLATES: RegistryView[str, TemplateSpec] = RegistryView(lambda specs: specs)


def template_options(name: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The options template `name` runs with for the caller's `options`: `markets` filled from
    the `MI_MARKETS` setting when the caller gives none (one place, so a run and its cache key
    agree)."""
    markets = current_settings().analysis.markets
    return effective_options(template_spec(name).options_model, options, markets)


def run_template(
    name: str,
    lake: Lake,
    tenant_id: str,
    window: Window,
    options: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
) -> InsightReport:
    """Run template `name` for a tenant and window; `options` are validated by its `Options`
    (`markets` defaults to the `MI_MARKETS` setting, see `template_options`)."""
    spec = template_spec(name)
    now = now or dt.datetime.now(dt.UTC)
    if window.start > now.date():
        raise ValueError(f"the window starts in the future ({window.start}); pick past dates")
    chosen = spec.options_model(**template_options(name, options))
    report = spec.analyze(lake, tenant_id, window, chosen, now=now)
    return report.model_copy(update={"narrative": render_narrative(report)})
