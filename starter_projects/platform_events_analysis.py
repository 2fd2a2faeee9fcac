"""The platform-events-analysis flow: a tenant in, the template node, report and narrative out."""

from __future__ import annotations

from lfx.graph import Graph

from components.marketing_intel.analysis_templates import PlatformEventsAnalysisComponent
from marketing_intel.flows import ANALYSIS_FLOWS
from starter_projects.analysis_flow import API_EDITABLE, analysis_graph

__all__ = ["API_EDITABLE", "SPEC", "graph"]

SPEC = ANALYSIS_FLOWS["platform-events-analysis"]


def graph() -> Graph:
    """The flow's graph, wired in code."""
    return analysis_graph(PlatformEventsAnalysisComponent)
