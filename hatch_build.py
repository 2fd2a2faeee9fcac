"""Build hook: keep the editable install from shipping a frozen copy of the bundle.

Hatchling copies force-included folders into site-packages for editable installs too. A copy of
`components/` there would be loaded by Langflow as the installed bundle and win over the live
`components/` folder that `langflow.env` points at, so development would run stale nodes. The
editable install ships only an empty `lfx_marketing_intel` package; the wheel is unchanged.
"""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class EditableBundleRoot(BuildHookInterface):
    """Replace the bundle copy of an editable install with an empty package."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Ship only `lfx_marketing_intel/__init__.py` when building an editable install."""
        if version == "editable":
            build_data["force_include_editable"] = {
                "components/__init__.py": "lfx_marketing_intel/__init__.py"
            }
