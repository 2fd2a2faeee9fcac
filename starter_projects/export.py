"""Turn the builders' graphs into the flow JSONs of `flows/`: Langflow's dump plus what it lacks
(a stable id, tags, node positions, the fields a caller may set over the API)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lfx.graph import Graph
from lfx.graph.flow_builder.layout import layout_flow

from marketing_intel.flows import TEMPLATE_NODE, TENANT_NODE, WINDOW_FIELDS, FlowSpec
from starter_projects import (
    audience_trends,
    campaign_insights,
    platform_events_analysis,
    roi_optimization,
)

# Every exported flow: its catalogue entry and its builder.
BUILDERS: list[tuple[FlowSpec, Callable[[], Graph]]] = [
    (module.SPEC, module.graph)
    for module in (campaign_insights, platform_events_analysis, audience_trends, roi_optimization)
]
# Fields a caller may set with run-API tweaks (the flow declares them; see WINDOW_FIELDS).
API_EDITABLE = {TENANT_NODE: ("input_value",), TEMPLATE_NODE: WINDOW_FIELDS}


def flow_document(spec: FlowSpec, graph: Graph) -> dict[str, Any]:
    """The flow JSON of `graph`, as Langflow imports it."""
    flow: dict[str, Any] = dict(
        graph.dump(name=spec.title, description=spec.description, endpoint_name=spec.endpoint)
    )
    flow["id"] = spec.flow_id
    flow["tags"] = list(spec.tags)
    classes = {vertex.id: type(vertex.custom_component).__name__ for vertex in graph.vertices}
    for node in flow["data"]["nodes"]:
        # The canvas renders only "genericNode" nodes as components.
        node["type"] = "genericNode"
        # The dump types a node by its component's `name`; Langflow picks the class to build
        # from the embedded source by this type, and our template file holds four classes.
        node["data"]["type"] = classes[node["id"]]
        template = node["data"]["node"]["template"]
        for field in API_EDITABLE.get(node["id"], ()):
            template[field]["api_editable"] = True
    # Graph keeps edges in an order that varies from run to run; the file (and the layout, which
    # follows the edges) must not. Edges go in the order of their source node's outputs.
    outputs = {
        node["id"]: [output["name"] for output in node["data"]["node"]["outputs"]]
        for node in flow["data"]["nodes"]
    }
    flow["data"]["edges"].sort(key=lambda edge: _edge_key(edge, outputs))
    layout_flow(flow)
    return flow


def _edge_key(edge: dict[str, Any], outputs: dict[str, list[str]]) -> tuple[str, int, str, str]:
    handles = edge["data"]
    return (
        edge["source"],
        outputs[edge["source"]].index(handles["sourceHandle"]["name"]),
        edge["target"],
        handles["targetHandle"]["fieldName"],
    )


def render(flow: dict[str, Any]) -> str:
    """The file text: sorted keys and a fixed indent, so exports diff line by line."""
    return json.dumps(flow, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def exported_flows() -> dict[str, str]:
    """File name -> text of every flow, freshly built."""
    return {spec.file_name: render(flow_document(spec, build())) for spec, build in BUILDERS}


def export_flows(folder: Path) -> list[Path]:
    """Write every flow into `folder` and delete JSONs there that no builder makes."""
    folder.mkdir(parents=True, exist_ok=True)
    fresh = exported_flows()
    for stale in folder.glob("*.json"):
        if stale.name not in fresh:
            stale.unlink()
    written = []
    for name, text in fresh.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
