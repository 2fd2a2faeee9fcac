"""What the memory nodes share: the connection inputs (tenant, embedder, engine, ZeroDB key,
project and URL) and the store they open.

A private helper beside the nodes, so each node's code (which flows embed) stays small; see
`_node_errors` for how node files import it. Functions, not a base class: Langflow's
`LANGFLOW_COMPONENTS_PATH` scan logs an error for a file whose classes are not Components.
"""

from __future__ import annotations

from typing import Any

# Before `lfx.io`: see `_shared_inputs` (lfx 1.13 import order).
import lfx.custom  # noqa: F401
from lfx.inputs.inputs import InputTypes
from lfx.io import StrInput
from lfx_marketing_intel.marketing_intel._node_errors import node_errors
from lfx_marketing_intel.marketing_intel._shared_inputs import (
    chosen_engine,
    embeddings_input,
    engine_input,
    global_variable_input,
    tenant_input,
)

# Memory choices in the node -> MI_MEMORY_BACKEND.
ENGINES = {"ZeroDB": "zerodb", "Embedded (SQLite)": "local"}

CONNECTION_INPUTS: list[InputTypes] = [
    tenant_input("The tenant whose memory this is. Agents cannot change it."),
    embeddings_input("Embeds memories and queries. Empty: the offline all-MiniLM-L6-v2 model."),
    engine_input(
        "engine",
        "Memory",
        "Where memories live: as the server's MI_ settings say, ZeroDB, or embedded.",
        ENGINES,
    ),
    global_variable_input(
        "api_key",
        "ZeroDB API Key",
        "A global variable holding the ZeroDB API key. Empty: MI_ZERODB_API_KEY.",
    ),
    StrInput(
        name="project_id",
        display_name="ZeroDB Project ID",
        info="Empty: MI_ZERODB_PROJECT_ID.",
        advanced=True,
    ),
    StrInput(
        name="base_url",
        display_name="ZeroDB URL",
        info="Empty: MI_ZERODB_BASE_URL (https://api.ainative.studio).",
        advanced=True,
    ),
]


def memory_store(node: Any) -> Any:
    """The store a memory node's connection inputs select, opened once per node (or shared by the
    process's nodes when they embed with the offline model)."""
    store = vars(node).get("_opened_memory_store")
    if store is None:
        from marketing_intel.config import current_settings
        from marketing_intel.memory import open_memory_store, shared_memory_store
        from marketing_intel.node_urls import node_url
        from marketing_intel.secret_inputs import secret_input

        with node_errors():
            settings = current_settings(
                memory_backend=chosen_engine(ENGINES, node.engine),
                zerodb_api_key=secret_input(node, "api_key"),
                zerodb_project_id=node.project_id,
                zerodb_base_url=node_url(node.base_url, "ZeroDB URL"),
            )
            # With the offline embedder, every run of the process shares one store.
            store = (
                open_memory_store(settings, node.embeddings)
                if node.embeddings
                else shared_memory_store(settings)
            )
        node._opened_memory_store = store
    return store
