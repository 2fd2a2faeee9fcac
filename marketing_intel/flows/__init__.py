"""The template flows as the rest of the product sees them: their names, endpoints and node ids
(`catalog`), where their exported JSONs live (`files`) and a headless run through `lfx run`
(`headless`). No Langflow import here: the builders live in `starter_projects/` and lfx runs in
its own process."""

from marketing_intel.flows.catalog import (
    ANALYSIS_FLOWS,
    CACHE_NODE,
    MEMORIES_NODE,
    MEMORY_NODE,
    NARRATIVE_NODE,
    REPORT_NODE,
    TEMPLATE_NODE,
    TENANT_NODE,
    WINDOW_FIELDS,
    FlowError,
    FlowSpec,
    WindowChoice,
    flow_spec,
)

__all__ = [
    "ANALYSIS_FLOWS",
    "CACHE_NODE",
    "MEMORIES_NODE",
    "MEMORY_NODE",
    "NARRATIVE_NODE",
    "REPORT_NODE",
    "TEMPLATE_NODE",
    "TENANT_NODE",
    "WINDOW_FIELDS",
    "FlowError",
    "FlowSpec",
    "WindowChoice",
    "flow_spec",
]
