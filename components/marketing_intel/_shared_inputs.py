"""The inputs several nodes of the bundle share, defined once: the tenant, the embedder, the
"which engine" dropdowns and the secrets held in Langflow global variables.

A private helper beside the nodes; see `_node_errors` for how node files import it.
"""

from __future__ import annotations

from collections.abc import Mapping

# Before `lfx.io`: in lfx 1.13 an import of its inputs while `lfx.custom` is not loaded yet leaves
# it half-imported, and a later `from lfx.custom.custom_component.component import Component`
# then fails as circular (`lfx extension validate --execute-imports` imports this file first).
import lfx.custom  # noqa: F401
from lfx.io import DropdownInput, HandleInput, MessageTextInput, SecretStrInput

# The first choice of every engine dropdown: the server's MI_ setting decides.
FROM_SETTINGS = "From settings"


def tenant_input(info: str) -> MessageTextInput:
    """The required Tenant ID (`tenant_id`); never a tool argument, so agents cannot change it."""
    return MessageTextInput(name="tenant_id", display_name="Tenant ID", info=info, required=True)


def embeddings_input(info: str) -> HandleInput:
    """The optional Embeddings handle (`embeddings`); empty means the offline MiniLM model."""
    return HandleInput(
        name="embeddings",
        display_name="Embeddings",
        info=info,
        input_types=["Embeddings"],
        required=False,
    )


def engine_input(
    name: str,
    display_name: str,
    info: str,
    engines: Mapping[str, str],
    *,
    advanced: bool = True,
) -> DropdownInput:
    """A dropdown of `FROM_SETTINGS` and the `engines` (label -> MI_ setting value)."""
    return DropdownInput(
        name=name,
        display_name=display_name,
        info=info,
        options=[FROM_SETTINGS, *engines],
        value=FROM_SETTINGS,
        advanced=advanced,
    )


def chosen_engine(engines: Mapping[str, str], choice: str | None) -> str | None:
    """The MI_ setting value of an `engine_input` choice; None keeps the server's setting."""
    if not choice or choice == FROM_SETTINGS:
        return None
    if choice not in engines:
        known = ", ".join([FROM_SETTINGS, *engines])
        raise ValueError(f"Unknown choice {choice!r}; choose one of: {known}.")
    return engines[choice]


def global_variable_input(
    name: str, display_name: str, info: str, *, advanced: bool = True
) -> SecretStrInput:
    """An optional secret, named by a Langflow global variable (never typed into the flow)."""
    return SecretStrInput(
        name=name, display_name=display_name, info=info, required=False, advanced=advanced
    )
