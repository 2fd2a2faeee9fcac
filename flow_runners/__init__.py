"""Flow runners: a Langflow server's run API (`MI_FLOWS_RUNNER=langflow`), or lfx in process.

They live outside `marketing_intel/`, which never imports Langflow (ruff's banned imports enforce
it); the worker loads this package when it starts. Both runners take a validated `FlowRunJob` and
return a `FlowOutput` (`marketing_intel.jobs.runners`). lfx itself is imported at the first
in-process run, so a worker that runs flows over the API never loads it.
"""

from __future__ import annotations

from flow_runners.in_process import LfxRunner
from flow_runners.langflow_api import LangflowAPIRunner
from marketing_intel.config import Settings
from marketing_intel.jobs.flows import FlowCatalog
from marketing_intel.jobs.runners import FlowRunner

__all__ = ["LangflowAPIRunner", "LfxRunner", "open_runner"]


def open_runner(settings: Settings) -> FlowRunner:
    """The runner `MI_FLOWS_RUNNER` chooses: a Langflow server's API, or lfx in process."""
    catalog = FlowCatalog.from_folder(settings.flows.path)
    if settings.flows.on_langflow:
        return LangflowAPIRunner(settings, catalog)
    return LfxRunner(catalog)
