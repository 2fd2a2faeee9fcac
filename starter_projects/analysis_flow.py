"""The shape every analysis flow shares: tenant in, template node, report and narrative out."""

from __future__ import annotations

from lfx.components.input_output import ChatInput, ChatOutput
from lfx.custom.custom_component.component import Component
from lfx.graph import Graph

from marketing_intel.flows import NARRATIVE_NODE, REPORT_NODE, TEMPLATE_NODE, TENANT_NODE


def analysis_graph(template: type[Component]) -> Graph:
    """`ChatInput-tenant -> template -> ChatOutput-report, ChatOutput-narrative`.

    The tenant is the chat message (the Playground's input, or `input_value` over the API);
    the window is the template node's own fields (`days` or `start_date`/`end_date`).
    """
    tenant = ChatInput(_id=TENANT_NODE)
    analysis = template(_id=TEMPLATE_NODE)
    # The insight cache (issue 7) plugs in here: `analysis.set(cache=cache.<output>)`.
    analysis.set(tenant_id=tenant.message_response, days=28)
    # The memory store (issue 5) goes between the template and the outputs:
    # `memory.set(report=analysis.build_report)`, then the outputs read the memory node.
    report = ChatOutput(_id=REPORT_NODE)
    report.set(input_value=analysis.build_report, sender_name="Report")
    narrative = ChatOutput(_id=NARRATIVE_NODE)
    narrative.set(input_value=analysis.build_narrative, sender_name="Narrative")

    graph = Graph()
    for component in (tenant, analysis, report, narrative):
        graph.add_component(component)
    graph.prepare(start_component_id=tenant.get_id())
    return graph
