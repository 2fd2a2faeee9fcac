"""Where each node of an exported flow stands on Langflow's canvas.

Flows read left to right: a node's column is the length of the longest path that reaches it, and
a column's nodes stack top to bottom in the order of the nodes that feed them. Nodes are placed
at the sizes the canvas renders them (estimated from what a node shows: its description, the
fields it shows and its outputs; measured in Chromium, December 2026), with room between them,
so no two overlap. An edge that skips columns must not cross their nodes: a skipped column starts
below the edge's band, and the first column lists first the nodes whose edges reach furthest.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Rendered sizes, in canvas pixels at 100% zoom.
NODE_WIDTH = 320
HEADER_HEIGHT = 64  # title row and padding
DESCRIPTION_LINE_HEIGHT = 17
DESCRIPTION_LINE_CHARS = 40  # characters per wrapped line of the description, rounded down
BOX_FIELD_HEIGHT = 84  # a field with an input box (text, number, dropdown, list)
HANDLE_FIELD_HEIGHT = 46  # a field that is only a handle (input types "other")
OUTPUT_HEIGHT = 46
# Room between columns (for the edges) and between nodes of a column.
COLUMN_GAP = 160
ROW_GAP = 80
# How far an edge's curve may swing above or below its end handles.
EDGE_MARGIN = 60


@dataclass
class _Box:
    node: dict[str, Any]
    column: int = 0
    x: float = 0.0
    y: float = 0.0
    height: float = 0.0

    @property
    def bottom(self) -> float:
        return self.y + self.height


def layout(flow: dict[str, Any]) -> None:
    """Set `position` of every node of `flow` (a flow JSON, edges in place)."""
    nodes = flow["data"]["nodes"]
    edges = flow["data"]["edges"]
    boxes = {node["id"]: _Box(node, height=estimated_height(node)) for node in nodes}
    _assign_columns(boxes, edges)
    columns = _ordered_columns(boxes, edges)
    starts = dict.fromkeys(columns, 0.0)
    # Stacking a column lower moves the handles that later bands are measured from: settle.
    for _ in range(len(columns) + 1):
        for column, members in columns.items():
            _stack(members, column, starts[column])
        starts = _column_starts(boxes, edges, columns)
    for column, members in columns.items():
        _stack(members, column, starts[column])
    for box in boxes.values():
        box.node["position"] = {"x": box.x, "y": box.y}


def estimated_height(node: dict[str, Any]) -> int:
    """How tall the canvas draws `node`: header, wrapped description, shown fields, outputs."""
    inner = node["data"]["node"]
    outputs = len([o for o in inner.get("outputs", []) if not o.get("hidden")])
    return _fields_top(inner) + sum(_field_heights(inner).values()) + outputs * OUTPUT_HEIGHT


def field_offset(node: dict[str, Any], name: str) -> float:
    """How far below the node's top the canvas draws the handle of field `name`."""
    inner = node["data"]["node"]
    heights = _field_heights(inner)
    above = 0.0
    for field, height in heights.items():
        if field == name:
            return _fields_top(inner) + above + height / 2
        above += height
    return float(estimated_height(node))


def _fields_top(inner: dict[str, Any]) -> int:
    lines = math.ceil(len(inner.get("description", "")) / DESCRIPTION_LINE_CHARS)
    return HEADER_HEIGHT + lines * DESCRIPTION_LINE_HEIGHT


def _field_heights(inner: dict[str, Any]) -> dict[str, int]:
    """The fields the canvas shows, in its order (`field_order`, then the rest by name), with
    their heights."""
    template = inner["template"]
    order = [*inner.get("field_order", []), *sorted(template)]
    shown = [
        name
        for name in dict.fromkeys(order)
        if isinstance(template.get(name), dict)
        and name != "code"
        and template[name].get("show")
        and not template[name].get("advanced")
    ]
    return {
        name: HANDLE_FIELD_HEIGHT if template[name].get("type") == "other" else BOX_FIELD_HEIGHT
        for name in shown
    }


def _assign_columns(boxes: dict[str, _Box], edges: list[dict[str, Any]]) -> None:
    """Each node's column: the longest path from a node nothing feeds; a node nothing feeds
    then moves right, next to the first node it feeds (inputs stand beside their use)."""
    for _ in boxes:  # a longest-path relaxation; the flows are acyclic
        for edge in edges:
            source, target = boxes[edge["source"]], boxes[edge["target"]]
            target.column = max(target.column, source.column + 1)
    fed = {edge["target"] for edge in edges}
    for node_id, box in boxes.items():
        targets = [boxes[e["target"]].column for e in edges if e["source"] == node_id]
        if node_id not in fed and targets:
            box.column = min(targets) - 1


def _ordered_columns(boxes: dict[str, _Box], edges: list[dict[str, Any]]) -> dict[int, list[_Box]]:
    """Columns left to right; in each, nodes in the mean order of the nodes that feed them, nodes
    nothing feeds last (in the first column: the furthest reach first), then the builder's order."""
    feeders: dict[str, list[str]] = defaultdict(list)
    reach: dict[str, int] = defaultdict(int)
    for edge in edges:
        feeders[edge["target"]].append(edge["source"])
        reach[edge["source"]] = max(reach[edge["source"]], boxes[edge["target"]].column)
    rank: dict[str, float] = {}
    columns: dict[int, list[_Box]] = {}
    for column in sorted({box.column for box in boxes.values()}):
        members = [box for box in boxes.values() if box.column == column]
        members.sort(key=lambda box: -reach[box.node["id"]])
        members.sort(key=lambda box: _mean(rank[f] for f in feeders[box.node["id"]] if f in rank))
        for index, box in enumerate(members):
            rank[box.node["id"]] = index
        columns[column] = members
    return columns


def _mean(values: Iterable[float]) -> float:
    found = list(values)
    return sum(found) / len(found) if found else math.inf


def _stack(members: list[_Box], column: int, start: float) -> None:
    y = start
    for box in members:
        box.x, box.y = column * (NODE_WIDTH + COLUMN_GAP), y
        y = box.bottom + ROW_GAP


def _column_starts(
    boxes: dict[str, _Box], edges: list[dict[str, Any]], columns: dict[int, list[_Box]]
) -> dict[int, float]:
    """Where each column starts: at 0, or below the band of every edge that skips it."""
    starts = dict.fromkeys(columns, 0.0)
    for edge in edges:
        source, target = boxes[edge["source"]], boxes[edge["target"]]
        field = edge["data"]["targetHandle"].get("fieldName", "")
        band_bottom = max(source.bottom, target.y + field_offset(target.node, field)) + EDGE_MARGIN
        for column in range(source.column + 1, target.column):
            starts[column] = max(starts[column], band_bottom)
    return starts
