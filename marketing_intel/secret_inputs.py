"""Secret inputs of the Langflow nodes: the value, or a clear error when it names a missing
global variable.

Langflow resolves a secret input that names a global variable before the node runs; when the
variable does not exist it passes None and only logs a warning, so a node would silently run
without its key (or fall back to another one). Every node reads its secrets through
`secret_input`. It needs no Langflow import: it reads the node's vertex by duck typing.
"""

from __future__ import annotations

from typing import Any

from marketing_intel.errors import MarketingIntelError


class MissingSecretVariable(MarketingIntelError, ValueError):
    """A secret input names a global variable that is not set."""


def secret_input(node: Any, field: str) -> str | None:
    """The value of the node's secret input `field`, None when it was left empty; raises
    `MissingSecretVariable` when it names a global variable that does not exist."""
    value = getattr(node, field, None)
    if value:
        return str(value)
    vertex = getattr(node, "_vertex", None)
    if vertex is not None and field in vertex.load_from_db_fields:
        variable = vertex.params.get(field)
        if variable:
            raise MissingSecretVariable(
                f"The global variable `{variable}` for {field} is not set: create it under "
                "Settings > Global Variables (or in the environment for headless runs)."
            )
    return None
