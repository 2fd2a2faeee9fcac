"""The shape every analysis flow shares: tenant in, cached template node, memory, outputs.

One flow per registered template (`marketing_intel.analysis_templates`): its spec names the
flow and the node class that runs it."""

from __future__ import annotations

import importlib

from lfx.components.input_output import ChatInput, ChatOutput
from lfx.custom.custom_component.component import Component
from lfx.graph import Graph

from components.marketing_intel.insight_cache import InsightCacheComponent
from components.marketing_intel.zerodb_memory import ZeroDBMemoryStoreComponent
from marketing_intel.flows import (
    CACHE_NODE,
    MEMORY_NODE,
    NARRATIVE_NODE,
    REPORT_NODE,
    TEMPLATE_NODE,
    TENANT_NODE,
    WINDOW_FIELDS,
)
from marketing_intel.template_spec import TemplateSpec

# Fields a caller may set with run-API tweaks: the tenant and the window.
API_EDITABLE = {TENANT_NODE: ("input_value",), TEMPLATE_NODE: WINDOW_FIELDS}


def analysis_graph(template: type[Component]) -> Graph:
    """`ChatInput-tenant -> template (reading through InsightCache-cache) ->
    ZeroDBMemoryStore-memory -> ChatOutput-report`, and the narrative -> ChatOutput-narrative.

    The report travels as compact JSON text (the template's Report JSON output) and reaches its
    Chat Output through the memory store, once its insights are remembered (the store's status
    lists the ids it stored). Every node is compiled and logged on every run, so the flow has no
    node it does not need; and Langflow serializes Data node by node, text in one piece.

    The tenant is the chat message (the Playground's input, or `input_value` over the API);
    the window is the template node's own fields (`days` or `start_date`/`end_date`). The cache
    and the memory follow the server's MI_ settings (embedded SQLite unless configured).
    """
    tenant = ChatInput(_id=TENANT_NODE)
    cache = InsightCacheComponent(_id=CACHE_NODE)
    analysis = template(_id=TEMPLATE_NODE)
    analysis.set(tenant_id=tenant.message_response, days=28, insight_cache=cache.build_cache)
    memory = ZeroDBMemoryStoreComponent(_id=MEMORY_NODE)
    memory.set(value=analysis.build_report_json, tenant_id=tenant.message_response)
    report = ChatOutput(_id=REPORT_NODE)
    report.set(input_value=memory.remembered_message, sender_name="Report")
    narrative = ChatOutput(_id=NARRATIVE_NODE)
    narrative.set(input_value=analysis.build_narrative, sender_name="Narrative")

    graph = Graph()
    for component in (tenant, cache, analysis, memory, report, narrative):
        graph.add_component(component)
    graph.prepare(start_component_id=tenant.get_id())
    return graph


def node_class(spec: TemplateSpec) -> type[Component]:
    """The template's node: the class `spec.node.class_name` in `spec.node.module`."""
    found = getattr(importlib.import_module(spec.node.module), spec.node.class_name, None)
    if not (isinstance(found, type) and issubclass(found, Component)):
        raise TypeError(
            f"The template {spec.name!r} needs a node: a Component class "
            f"{spec.node.class_name} in {spec.node.module}."
        )
    runs = (getattr(found, "template_name", None), getattr(found, "name", None))
    if runs != (spec.name, spec.node.name):
        raise TypeError(
            f"{spec.node.module}.{spec.node.class_name} must set template_name = {spec.name!r} "
            f"and name = {spec.node.name!r} (it sets {runs[0]!r} and {runs[1]!r})."
        )
    return found
