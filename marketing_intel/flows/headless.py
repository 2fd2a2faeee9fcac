"""Run a flow headless: its exported JSON, with the caller's values (the same node -> field ->
value mapping as run-API tweaks) filled in, through `lfx run` in its own process (this package
imports no Langflow), and the answer read back: an analysis flow's report, or any flow's text."""

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
from marketing_intel.flows.catalog import AnalysisFlowSpec, FlowError, FlowSpec, WindowChoice
from marketing_intel.flows.files import load_flow
from marketing_intel.flows.run_api import report_from_message

RUN_TIMEOUT_S = 600
CHAT_OUTPUT = "ChatOutput"

Values = dict[str, dict[str, Any]]


def prepared_flow(flow: dict[str, Any], answer_node: str, values: Values) -> dict[str, Any]:
    """A copy of `flow` with `values` set, answering with the Chat Output `answer_node` only.

    `lfx run` answers with one Chat Output, so the other ones (and their edges) are left out
    rather than trusting which output comes first (an analysis report carries its narrative).
    """
    flow = copy.deepcopy(flow)
    data = flow["data"]
    others = {
        node["id"]
        for node in data["nodes"]
        if node["data"]["type"] == CHAT_OUTPUT and node["id"] != answer_node
    }
    data["nodes"] = [node for node in data["nodes"] if node["id"] not in others]
    data["edges"] = [edge for edge in data["edges"] if edge["target"] not in others]
    for node in data["nodes"]:
        template = node["data"]["node"]["template"]
        for field, value in values.get(node["id"], {}).items():
            template[field]["value"] = value
    return flow


def run_headless(spec: AnalysisFlowSpec, tenant: str, window: WindowChoice) -> InsightReport:
    """Run the analysis flow `spec` with `lfx run` and return its report."""
    return report_from_message(run_flow_headless(spec, spec.tweaks(tenant, window)))


def run_flow_headless(spec: FlowSpec, values: Values) -> str:
    """Run the flow `spec` with `values` set, with `lfx run`; return its answer's text."""
    flow = prepared_flow(load_flow(spec), spec.answer_node, values)
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
    return _answer(spec, run)


def _answer(spec: FlowSpec, run: subprocess.CompletedProcess[str]) -> str:
    try:
        answer = json.loads(run.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        tail = (run.stderr or run.stdout).strip()[-500:]
        raise FlowError(
            f"lfx run did not answer with JSON (exit {run.returncode}): {tail}"
        ) from None
    if not answer.get("success"):
        message = answer.get("exception_message") or answer.get("text") or "no message"
        raise FlowError(f"The flow {spec.endpoint} failed: {_last_sentence(message)}")
    return str(answer["result"])


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
