"""Where the exported flow JSONs are: the installed bundle's starter projects, else `flows/` of
a checkout (an editable install ships no bundle copy; see hatch_build.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from marketing_intel.flows.catalog import FlowError, FlowSpec

BUNDLE_ROOT_PACKAGE = "lfx_marketing_intel"
STARTER_PROJECTS = Path("marketing_intel") / "starter_projects"
CHECKOUT_FLOWS = Path(__file__).resolve().parents[2] / "flows"


def flow_folders() -> list[Path]:
    """The folders that may hold the flow JSONs, the installed bundle first."""
    folders = []
    spec = importlib.util.find_spec(BUNDLE_ROOT_PACKAGE)
    for root in (spec.submodule_search_locations or []) if spec else []:
        folders.append(Path(root) / STARTER_PROJECTS)
    folders.append(CHECKOUT_FLOWS)
    return folders


def flow_path(spec: FlowSpec) -> Path:
    """The exported JSON of `spec`."""
    for folder in flow_folders():
        if (folder / spec.file_name).is_file():
            return folder / spec.file_name
    # A job's failure reason reaches the tenant: name the file, never the server's folders.
    raise FlowError(
        f"The flow file {spec.file_name} is not installed; reinstall lfx-marketing-intel, or "
        "run `mi flows export` in a checkout."
    )


def load_flow(spec: FlowSpec) -> dict[str, Any]:
    """The flow JSON of `spec`, parsed."""
    flow: dict[str, Any] = json.loads(flow_path(spec).read_text(encoding="utf-8"))
    return flow
