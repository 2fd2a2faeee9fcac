"""What an analysis template is, in one value: `TemplateSpec`.

Every consumer reads the spec instead of a table of its own: `run_template` (options and entry
point), the narrative (title), the query runner (SQL), the insight cache (watermark source), the
flows catalogue (flow card), the bridge (flow endpoint), the flow exporter and the Langflow node
(node card). The registered specs live in `marketing_intel.analysis_templates`, one module each.

This module stays light (no lake, no numpy): the flows catalogue and the Langflow node file read
specs at import, so a spec names the module of its heavy parts and they are imported on first run.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pydantic import BaseModel

    from marketing_intel.analysis.report import InsightReport, Window
    from marketing_intel.lake import Lake

# The node module the four built-in template nodes live in (a dotted name: the core never
# imports Langflow, the exporter resolves it).
TEMPLATE_NODES_MODULE = "components.marketing_intel.analysis_templates"


class Analyze(Protocol):
    """A template's entry point: the report of one tenant and window."""

    def __call__(
        self, lake: Lake, tenant_id: str, window: Window, options: Any, *, now: dt.datetime
    ) -> InsightReport: ...


@dataclass(frozen=True)
class WatermarkSource:
    """The lake table a template reads and the column that says when a row arrived; the insight
    cache keys reports by its latest value and row count."""

    table: str
    column: str


@dataclass(frozen=True)
class FlowCard:
    """The template's exported flow: its endpoint name (also its file name) and gallery card."""

    endpoint: str
    title: str
    description: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class NodeCard:
    """The template's Langflow node: the class `<name>Component` in `module`, with the `name`
    flows and tool names refer to, and what the sidebar shows."""

    name: str
    display_name: str
    description: str
    icon: str
    module: str = TEMPLATE_NODES_MODULE

    @property
    def class_name(self) -> str:
        """The node's class name (a flow's node type)."""
        return f"{self.name}Component"


@dataclass(frozen=True, kw_only=True)
class TemplateSpec:
    """One analysis template, registered by a module of `marketing_intel.analysis_templates`
    that exports it as `SPEC`.

    `implementation` is the module holding the template's `Options` (a pydantic model) and
    `analyze` (an `Analyze`); it is imported on first use, so reading specs stays cheap.
    `queries` maps each query name to its BigQuery SQL (named parameters, lake tables only).
    `listing_order` places the template in lists (menus, errors, the flows catalogue); ties
    list by name.
    """

    name: str
    title: str
    implementation: str
    queries: Mapping[str, str]
    watermark: WatermarkSource
    flow: FlowCard
    node: NodeCard
    listing_order: int = 100

    @property
    def options_model(self) -> type[BaseModel]:
        """The pydantic model that validates the template's options."""
        from pydantic import BaseModel  # here: reading specs must not import pydantic

        model = getattr(self._implementation(), "Options", None)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(
                f"{self.implementation} must define `Options`, a pydantic model, for the "
                f"template {self.name!r}."
            )
        return model

    @property
    def analyze(self) -> Analyze:
        """The template's entry point."""
        entry = getattr(self._implementation(), "analyze", None)
        if not callable(entry):
            raise TypeError(
                f"{self.implementation} must define `analyze(lake, tenant_id, window, options, "
                f"*, now)` for the template {self.name!r}."
            )
        analyze: Analyze = entry
        return analyze

    def query(self, name: str) -> str:
        """The SQL of the query `name`."""
        try:
            return self.queries[name]
        except KeyError:
            known = ", ".join(self.queries)
            raise LookupError(
                f"The template {self.name!r} has no query {name!r}; it has {known}."
            ) from None

    def _implementation(self) -> Any:
        return importlib.import_module(self.implementation)


def sql_folder(template: str) -> Mapping[str, str]:
    """The queries of `marketing_intel/analysis/sql/<template>/`: file stem -> SQL text."""
    # Read through the top-level package: `marketing_intel.analysis` itself imports the lake.
    folder = resources.files("marketing_intel").joinpath("analysis", "sql", template)
    queries = {
        entry.name.removesuffix(".sql"): entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda entry: entry.name)
        if entry.name.endswith(".sql")
    }
    return MappingProxyType(queries)
