"""The audience-trends flow: a tenant in, the template node, its report and narrative out."""

from __future__ import annotations

from lfx.graph import Graph

from components.marketing_intel.analysis_templates import AudienceTrendsComponent
from marketing_intel.flows import ANALYSIS_FLOWS
from starter_projects.analysis_flow import API_EDITABLE, analysis_graph

__all__ = ["API_EDITABLE", "SPEC", "graph"]

SPEC = ANALYSIS_FLOWS["audience-trends"]


def graph() -> Graph:
    """The flow's graph, wired in code."""
    return analysis_graph(AudienceTrendsComponent)
