"""Build hook: how `components/` becomes the bundle package `lfx_marketing_intel`, in one place.

- The wheel: pyproject's force-include copies `components/` to `lfx_marketing_intel/` and
  `flows/` to its `marketing_intel/starter_projects/`; the `lfx.bundles` entry point names
  `lfx_marketing_intel`, so Langflow loads `lfx_marketing_intel/marketing_intel/` as the bundle
  `marketing_intel`, with the flows as its starter projects.
- The editable install (development): a copy of `components/` in site-packages would be loaded
  by Langflow as the installed bundle and win over the live folder that `langflow.env` points
  `LANGFLOW_COMPONENTS_PATH` at. So this hook ships only `lfx_marketing_intel/__init__.py`,
  which points the package's `__path__` at the live `components/` folder: the nodes' imports of
  their private helpers (`from lfx_marketing_intel.marketing_intel._node_errors import ...`)
  then read the live files, exactly as they read the wheel's copy once installed. Langflow
  finds the bundle folders from the package's location on disk (its import spec), not from
  `__path__`, so the editable install still gives it no bundle to load twice: development
  serves the nodes from `LANGFLOW_COMPONENTS_PATH` (`@extra`) only.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE_ROOT_PACKAGE = "lfx_marketing_intel"
EDITABLE_INIT = '''"""Editable install of lfx-marketing-intel: the bundle is the live `components/`
folder of the checkout (written by its hatch_build.py; reinstall after moving the checkout)."""

__path__ = [{components!r}]
'''


class EditableBundleRoot(BuildHookInterface):
    """Ship an editable install's bundle package as a pointer to the live `components/`."""

    _scratch: str | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """For an editable install, replace the bundle copy with a generated `__init__.py`."""
        if version != "editable":
            return
        self._scratch = tempfile.mkdtemp(prefix="lfx-marketing-intel-editable-")
        init = Path(self._scratch) / "__init__.py"
        components = str(Path(self.root, "components").resolve())
        init.write_text(EDITABLE_INIT.format(components=components), encoding="utf-8")
        build_data["force_include_editable"] = {str(init): f"{BUNDLE_ROOT_PACKAGE}/__init__.py"}

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the generated file once it is in the wheel."""
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
