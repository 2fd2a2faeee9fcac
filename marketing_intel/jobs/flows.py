"""The flows a worker can run, found by endpoint name, and the tweaks that run one for a job.

Flows are the exported JSONs of `flows/` (setting `MI_FLOWS_PATH`) and the starter projects of
the installed bundle. A caller sets only what the flow declares for callers: the fields its JSON
marks `api_editable` (the window, template options, a brand), the same declaration a Langflow
server enforces under `LANGFLOW_TWEAKS_POLICY=declared`, plus the run's input value. Anything
else (an engine, a URL, a schema, a key) is refused with the field named, so no run can point a
node at an endpoint or database of its own choosing. Unlike Langflow, a flow that declares no
field is closed to every tweak, not open to all.

A job's tenant is forced onto every node that has a `tenant_id` field: no parameter can point a
flow at another tenant's data. Where a flow wires that field from another node (the chat input,
say), a tweak would lose to the edge, so the in-process runner runs the flow without those edges
(`tenant_payload`), and no job may send an input value other than its tenant into such a flow.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marketing_intel.jobs.errors import BadJobError
from marketing_intel.jobs.models import FlowRunJob

TENANT_FIELD = "tenant_id"
# Fields no job may set whatever a flow declares: the node's code, and the tenant (it comes
# from the job).
PROTECTED_FIELDS = frozenset({"code", TENANT_FIELD})
# Field types whose value is a JSON object. Given an object, any other field has Langflow copy
# its keys onto the field's settings (`load_from_db` would read a server variable into it).
OBJECT_FIELD_TYPES = frozenset({"dict", "NestedDict"})


@dataclass(frozen=True)
class NodeFields:
    """One node's template fields: all of them, the ones its flow declares settable by callers
    (`api_editable`), and the ones whose value is a JSON object."""

    names: frozenset[str]
    editable: frozenset[str] = frozenset()
    objects: frozenset[str] = frozenset()

    @classmethod
    def of(cls, template: dict[str, Any]) -> NodeFields:
        """The fields of a node's `template` as a flow JSON holds it."""
        specs = {name: spec for name, spec in template.items() if isinstance(spec, dict)}
        return cls(
            frozenset(specs),
            frozenset(name for name, spec in specs.items() if spec.get("api_editable") is True),
            frozenset(
                name for name, spec in specs.items() if spec.get("type") in OBJECT_FIELD_TYPES
            ),
        )


@dataclass(frozen=True)
class Flow:
    """One flow JSON: its endpoint name and, per node id, the fields its template declares."""

    endpoint_name: str
    path: Path
    payload: dict[str, Any]
    fields_by_node: dict[str, NodeFields]
    tenant_payload: dict[str, Any]
    tenant_wired: frozenset[str]
    tenant_sources: frozenset[str] = frozenset()
    version: tuple[int, int] | None = None  # the file's (mtime_ns, size) when it was read

    @classmethod
    def read(cls, path: Path) -> Flow | None:
        """The flow in `path`, or None if the file is not a flow with an endpoint name."""
        version = _version(path)
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(payload, dict) or not payload.get("endpoint_name"):
            return None
        fields = {}
        for node in payload.get("data", {}).get("nodes", []):
            template = node.get("data", {}).get("node", {}).get("template", {})
            fields[node.get("id") or node["data"]["id"]] = NodeFields.of(template)
        tenant_payload = copy.deepcopy(payload)
        edges = tenant_payload.get("data", {}).get("edges", [])
        wired = [edge for edge in edges if _feeds_tenant(edge)]
        for edge in wired:
            edges.remove(edge)
        _drop_orphans(tenant_payload, {str(edge.get("source")) for edge in wired})
        tenant_wired = frozenset(str(edge.get("target")) for edge in wired)
        return cls(
            str(payload["endpoint_name"]),
            path,
            payload,
            fields,
            tenant_payload,
            tenant_wired,
            frozenset(str(edge.get("source")) for edge in wired),
            version,
        )

    def tweaks_for(self, job: FlowRunJob) -> dict[str, dict[str, Any]]:
        """Langflow tweaks running this flow for `job`: its tenant on every tenant-aware node,
        its `inputs` on every node that declares the field editable, then its own per-node
        `tweaks`; a `BadJobError` naming every field the flow does not let callers set."""
        given = job.parameters.input_value
        if self.tenant_wired and given not in (None, job.tenant_id):
            raise BadJobError(
                f"parameters.input_value feeds the tenant_id of flow {self.endpoint_name!r} "
                f"(nodes {sorted(self.tenant_wired)}); leave it out: the job's tenant is used",
                reason="bad_parameters",
            )
        tweaks: dict[str, dict[str, Any]] = {}
        for node_id, fields in self.fields_by_node.items():
            if TENANT_FIELD in fields.names:
                tweaks.setdefault(node_id, {})[TENANT_FIELD] = job.tenant_id
        refused: list[str] = []
        for name, value in job.parameters.inputs.items():
            refuse_protected(name)
            nodes = [
                node_id for node_id, fields in self.fields_by_node.items() if name in fields.names
            ]
            if not nodes:
                raise BadJobError(
                    f"parameters.inputs: no node of flow {self.endpoint_name!r} has a field "
                    f"{name!r}; remove it or name a field the flow's nodes take",
                    reason="bad_parameters",
                )
            settable = [node_id for node_id in nodes if self._settable(node_id, name)]
            if not settable:
                refused.append(f"{name!r}")
            for node_id in settable:
                self._check_value(node_id, name, value)
                tweaks.setdefault(node_id, {})[name] = value
        for node_id, values in job.parameters.tweaks.items():
            self._check_node(node_id)
            for name, value in values.items():
                refuse_protected(name)
                if not self._settable(node_id, name):
                    refused.append(f"{name!r} of node {node_id!r}")
                    continue
                self._check_value(node_id, name, value)
            tweaks.setdefault(node_id, {}).update(values)
        if refused:
            raise BadJobError(self._refusal(refused), reason="bad_parameters")
        return tweaks

    def _settable(self, node_id: str, name: str) -> bool:
        """Whether a caller may set field `name` of node `node_id`: the flow declares it
        editable, and the node does not feed the tenant."""
        fields = self.fields_by_node[node_id]
        return name in fields.editable and node_id not in self.tenant_sources

    def _check_node(self, node_id: str) -> None:
        if node_id in self.tenant_sources:
            raise BadJobError(
                f"parameters.tweaks may not set node {node_id!r} of flow "
                f"{self.endpoint_name!r}: it feeds the tenant_id, and the job's tenant is used",
                reason="bad_parameters",
            )
        if node_id not in self.fields_by_node:
            raise BadJobError(
                f"parameters.tweaks: flow {self.endpoint_name!r} has no node {node_id!r}; "
                f"its nodes are {sorted(self.fields_by_node)}",
                reason="bad_parameters",
            )

    def _check_value(self, node_id: str, name: str, value: Any) -> None:
        """Refuse an object for a field that takes a plain value: Langflow would copy its keys
        onto the field's settings instead of using it as the value."""
        if isinstance(value, dict) and name not in self.fields_by_node[node_id].objects:
            raise BadJobError(
                f"parameters: field {name!r} of node {node_id!r} takes a plain value, not an "
                "object; send the value itself",
                reason="bad_parameters",
            )

    def _refusal(self, refused: list[str]) -> str:
        """The sentence refusing `refused` fields, with the fields callers may set."""
        declared = [
            f"{node_id}: {', '.join(sorted(fields.editable - PROTECTED_FIELDS))}"
            for node_id, fields in sorted(self.fields_by_node.items())
            if fields.editable - PROTECTED_FIELDS and node_id not in self.tenant_sources
        ]
        allowed = "; ".join(declared) if declared else "none: the flow declares no field editable"
        return (
            f"parameters may not set {', '.join(refused)} in flow {self.endpoint_name!r}: a "
            f"run sets only the fields the flow declares editable ({allowed}); endpoints, keys "
            "and databases come from the server's settings"
        )

    def api_tweaks(self, job: FlowRunJob) -> dict[str, dict[str, Any]]:
        """`tweaks_for(job)` for a Langflow server, which runs the flow as exported (edges
        kept): a node whose tenant_id is wired gets it through the edge from the run's input
        value (the job's tenant), not as a tweak, which a server that accepts only declared
        fields (LANGFLOW_TWEAKS_POLICY=declared) refuses."""
        tweaks = self.tweaks_for(job)
        for node_id in self.tenant_wired:
            fields = tweaks.get(node_id, {})
            fields.pop(TENANT_FIELD, None)
            if not fields:
                tweaks.pop(node_id, None)
        return tweaks


def _version(path: Path) -> tuple[int, int] | None:
    """A file's (modification time, size), None when it is gone: what tells a changed flow."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _drop_orphans(payload: dict[str, Any], sources: set[str]) -> None:
    """Remove the nodes among `sources` left with no edge: lfx schedules a flow from its chat
    input, so an input that feeds nothing any more would leave the rest of the flow unrun."""
    data = payload.get("data", {})
    linked = {str(e.get(end)) for e in data.get("edges", []) for end in ("source", "target")}
    orphans = sources - linked
    data["nodes"] = [node for node in data.get("nodes", []) if node.get("id") not in orphans]


def _feeds_tenant(edge: dict[str, Any]) -> bool:
    handle = edge.get("data", {}).get("targetHandle", {})
    return isinstance(handle, dict) and handle.get("fieldName") == TENANT_FIELD


def refuse_protected(name: str) -> None:
    """Refuse a job that sets a field no job may set (the node's code, the tenant)."""
    if name in PROTECTED_FIELDS:
        raise BadJobError(
            f"parameters may not set {name!r}: "
            + ("the job's tenant_id is used" if name == TENANT_FIELD else "flows run as exported"),
            reason="bad_parameters",
        )


@dataclass
class FlowCatalog:
    """Flows by endpoint name from folders of flow JSONs; a name not seen yet rescans them."""

    folders: list[Path]
    _flows: dict[str, Flow] = field(default_factory=dict)

    @classmethod
    def from_folder(cls, folder: Path) -> FlowCatalog:
        """`folder` and the installed bundle's starter projects (folder first)."""
        folders = [folder]
        bundle = importlib.util.find_spec("lfx_marketing_intel")
        for location in (bundle.submodule_search_locations or []) if bundle else []:
            folders.append(Path(location) / "marketing_intel" / "starter_projects")
        return cls(folders)

    def get(self, endpoint_name: str) -> Flow:
        """The flow named `endpoint_name`, or a `BadJobError` listing the names there are.

        Each file is read once per version: a file changed since (its modification time or
        size differ) or gone rescans the folders, so a run never uses a stale flow."""
        flow = self._flows.get(endpoint_name)
        if flow is None or _version(flow.path) != flow.version:
            self._scan()
            flow = self._flows.get(endpoint_name)
        if flow is None:
            # Callers (tenants included) read this: it names flows, never the server's folders.
            known = ", ".join(sorted(self._flows)) or "none (export them into MI_FLOWS_PATH)"
            raise BadJobError(
                f"unknown flow {endpoint_name!r}; the flows here are: {known}",
                reason="unknown_flow",
            )
        return flow

    def _scan(self) -> None:
        flows: dict[str, Flow] = {}
        for folder in reversed(self.folders):  # the first folder wins
            for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
                flow = Flow.read(path)
                if flow is not None:
                    flows[flow.endpoint_name] = flow
        self._flows = flows
