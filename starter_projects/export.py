"""Turn the builders' graphs into the flow JSONs of `flows/`: Langflow's dump plus what it lacks
(a stable id, tags, node positions, the fields a caller may set over the API, tool mode, secrets
as global-variable names).

Every registered analysis template gets one flow of the shared analysis shape
(`analysis_flow`). Each other builder module has `SPEC` (its catalogue entry), `graph()`,
`API_EDITABLE` (node id -> fields a caller may tweak) and may have `VARIABLES` (node id ->
{secret field: variable name})."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from lfx.base.tools.constants import TOOL_OUTPUT_NAME
from lfx.graph import Graph
from lfx.graph.flow_builder.connect import add_connection

from marketing_intel.analysis_templates import template_specs
from marketing_intel.flows import AnalysisFlowSpec, FlowSpec
from starter_projects import (
    analysis_flow,
    brand_voice_check,
    canvas_layout,
    marketing_analyst_agent,
)


@dataclass(frozen=True)
class Builder:
    """One exported flow: its catalogue entry, its graph, and what the dump cannot say."""

    spec: FlowSpec
    graph: Callable[[], Graph]
    api_editable: Mapping[str, Sequence[str]]
    variables: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def builders() -> list[Builder]:
    """Every exported flow: one per registered analysis template, then the chat flows."""
    return [
        *(
            Builder(
                AnalysisFlowSpec.of(spec),
                partial(analysis_flow.analysis_graph, analysis_flow.node_class(spec)),
                analysis_flow.API_EDITABLE,
            )
            for spec in template_specs().values()
        ),
        *(
            Builder(
                module.SPEC, module.graph, module.API_EDITABLE, getattr(module, "VARIABLES", {})
            )
            for module in (brand_voice_check, marketing_analyst_agent)
        ),
    ]


def flow_document(builder: Builder) -> dict[str, Any]:
    """The flow JSON of `builder`'s graph, as Langflow imports it."""
    spec, graph = builder.spec, builder.graph()
    flow: dict[str, Any] = dict(
        graph.dump(name=spec.title, description=spec.description, endpoint_name=spec.endpoint)
    )
    flow["id"] = spec.flow_id
    flow["tags"] = list(spec.tags)
    classes = {vertex.id: type(vertex.custom_component).__name__ for vertex in graph.vertices}
    # lfx types `custom_component` as None until built; every vertex here has one.
    components: dict[str, Any] = {vertex.id: vertex.custom_component for vertex in graph.vertices}
    field_orders = {
        node_id: [field.name for field in component.inputs]
        for node_id, component in components.items()
    }
    for node in flow["data"]["nodes"]:
        # The canvas renders only "genericNode" nodes as components.
        node["type"] = "genericNode"
        # The dump types a node by its component's `name`; Langflow picks the class to build
        # from the embedded source by this type, and our template file holds four classes.
        node["data"]["type"] = classes[node["id"]]
        # The canvas shows fields in this order (else by name): the component's own order.
        node["data"]["node"]["field_order"] = field_orders[node["id"]]
        template = node["data"]["node"]["template"]
        for name in builder.api_editable.get(node["id"], ()):
            template[name]["api_editable"] = True
        for name, variable in builder.variables.get(node["id"], {}).items():
            # A variable name, resolved from the user's global variables (or, headless, the
            # environment) at run time; never the secret itself.
            template[name].update(value=variable, load_from_db=True)
    _tool_mode(flow)
    _switched_modes(flow, graph)
    _clear_wired_messages(flow)
    # Graph keeps edges in an order that varies from run to run; the file (and the layout, which
    # follows the edges) must not. Edges go in the order of their source node's outputs.
    outputs = {
        node["id"]: [output["name"] for output in node["data"]["node"]["outputs"]]
        for node in flow["data"]["nodes"]
    }
    flow["data"]["edges"].sort(key=lambda edge: _edge_key(edge, outputs))
    _canvas_edges(flow)
    _chat_output_titles(flow)
    canvas_layout.layout(flow)
    return flow


def _canvas_edges(flow: dict[str, Any]) -> None:
    """Edges as the canvas saves them (an id, and handles as strings), made by lfx's own
    `add_connection`: the canvas checks every edge of a flow it opens against these strings,
    and drops (with a toast) edges that lack them. It also drops edges into fields it hides
    (advanced ones), so a wired field is shown, as a user un-hides a field to wire it."""
    nodes = {node["id"]: node for node in flow["data"]["nodes"]}
    dumped, flow["data"]["edges"] = flow["data"]["edges"], []
    for edge in dumped:
        handles = edge["data"]
        field = nodes[edge["target"]]["data"]["node"]["template"][
            handles["targetHandle"]["fieldName"]
        ]
        field["advanced"] = False
        add_connection(
            flow,
            edge["source"],
            handles["sourceHandle"]["name"],
            edge["target"],
            handles["targetHandle"]["fieldName"],
        )


def _chat_output_titles(flow: dict[str, Any]) -> None:
    """A Chat Output is titled by what it shows (its sender name: Report, Narrative ...), so
    the canvas tells a flow's outputs apart."""
    for node in flow["data"]["nodes"]:
        inner = node["data"]["node"]
        if node["data"]["type"] == "ChatOutput" and inner["template"]["sender_name"]["value"]:
            inner["display_name"] = inner["template"]["sender_name"]["value"]


def _tool_mode(flow: dict[str, Any]) -> None:
    """Nodes wired as agent tools as the canvas's Tool Mode toggle leaves them: in tool mode,
    with the toolset as their only output."""
    tools = {
        edge["source"]
        for edge in flow["data"]["edges"]
        if edge["data"]["sourceHandle"]["name"] == TOOL_OUTPUT_NAME
    }
    for node in flow["data"]["nodes"]:
        if node["id"] in tools:
            inner = node["data"]["node"]
            inner["tool_mode"] = True
            inner["outputs"] = [o for o in inner["outputs"] if o["name"] == TOOL_OUTPUT_NAME]


def _switched_modes(flow: dict[str, Any], graph: Graph) -> None:
    """Nodes whose builder switched their mode (e.g. Message History set to Store) as the
    canvas leaves them: the dump holds every output and field of the class, the canvas only
    the mode's outputs and shows only the mode's fields."""
    components = {vertex.id: vertex.custom_component for vertex in graph.vertices}
    for node in flow["data"]["nodes"]:
        component = components[node["id"]]
        if component is None:
            continue
        outputs = [output.name for output in component.outputs]
        if outputs == [output.name for output in type(component).outputs]:
            continue
        inner = node["data"]["node"]
        inner["outputs"] = [o for o in inner["outputs"] if o["name"] in outputs]
        for name, field_input in component._inputs.items():
            if "show" in inner["template"].get(name, {}):
                inner["template"][name]["show"] = field_input.show


def _clear_wired_messages(flow: dict[str, Any]) -> None:
    """A field an edge feeds has no value of its own; the Agent's dump holds a default Message
    there, stamped with the export's time, which would make every export differ."""
    nodes = {node["id"]: node for node in flow["data"]["nodes"]}
    for edge in flow["data"]["edges"]:
        template = nodes[edge["target"]]["data"]["node"]["template"]
        field = template[edge["data"]["targetHandle"]["fieldName"]]
        if isinstance(field.get("value"), dict):
            field["value"] = ""


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
    return {builder.spec.file_name: render(flow_document(builder)) for builder in builders()}


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
