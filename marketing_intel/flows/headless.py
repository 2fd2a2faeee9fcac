"""Run an analysis flow headless: its exported JSON, with the tenant and window filled in, through
`lfx run` in its own process (this package imports no Langflow), and the report parsed back."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from marketing_intel.analysis import InsightReport
from marketing_intel.flows.catalog import (
    MEMORIES_NODE,
    NARRATIVE_NODE,
    TEMPLATE_NODE,
    TENANT_NODE,
    FlowError,
    FlowSpec,
    WindowChoice,
)
from marketing_intel.flows.files import load_flow
from marketing_intel.flows.run_api import report_from_message

RUN_TIMEOUT_S = 600
OTHER_OUTPUTS = (NARRATIVE_NODE, MEMORIES_NODE)


def prepared_flow(flow: dict[str, Any], tenant: str, window: WindowChoice) -> dict[str, Any]:
    """A copy of `flow` with the tenant and window set, answering with the report only.

    `lfx run` answers with one Chat Output; the report carries its narrative, so the other
    outputs (and their edges) are left out rather than trusting which output comes first.
    """
    flow = copy.deepcopy(flow)
    data = flow["data"]
    data["nodes"] = [node for node in data["nodes"] if node["id"] not in OTHER_OUTPUTS]
    data["edges"] = [edge for edge in data["edges"] if edge["target"] not in OTHER_OUTPUTS]
    values = {TENANT_NODE: {"input_value": tenant}, TEMPLATE_NODE: window.fields()}
    for node in data["nodes"]:
        template = node["data"]["node"]["template"]
        for field, value in values.get(node["id"], {}).items():
            template[field]["value"] = value
    return flow


def run_headless(spec: FlowSpec, tenant: str, window: WindowChoice) -> InsightReport:
    """Run the flow `spec` with `lfx run` and return its report."""
    flow = prepared_flow(load_flow(spec), tenant, window)
    # The dependency preflight maps imports to distributions by their installed file lists; it
    # cannot see `marketing_intel` in an editable install, and the flow's only non-lfx import is
    # this package, which is installed wherever this code runs.
    command = [_lfx(), "run", "--stdin", "--format", "json", "--no-check-dependencies"]
    try:
        run = subprocess.run(
            command,
            input=json.dumps(flow),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            env={**os.environ, "LANGFLOW_DO_NOT_TRACK": "true"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise FlowError(f"The flow {spec.endpoint} ran longer than {RUN_TIMEOUT_S} s.") from None
    return _report(spec, run)


def _report(spec: FlowSpec, run: subprocess.CompletedProcess[str]) -> InsightReport:
    try:
        answer = json.loads(run.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        tail = (run.stderr or run.stdout).strip()[-500:]
        raise FlowError(f"lfx run did not answer with JSON (exit {run.returncode}): {tail}") from None
    if not answer.get("success"):
        message = answer.get("exception_message") or answer.get("text") or "no message"
        raise FlowError(f"The flow {spec.endpoint} failed: {_last_sentence(message)}")
    return report_from_message(answer["result"])


def _last_sentence(message: str) -> str:
    # Langflow wraps a node's error as "...: Error building Component <name>: <our sentence>".
    sentence = message.rpartition("Error building Component ")[2].partition(": ")[2]
    return (sentence or message).strip()


def _lfx() -> str:
    beside = Path(sys.executable).with_name("lfx")
    found = str(beside) if beside.is_file() else shutil.which("lfx")
    if not found:
        raise FlowError("The lfx command is not installed; install lfx-marketing-intel again.")
    return found
