"""Langflow's run API for the analysis flows: the request that sets a tenant and a window, and the
report read back from the answer (`POST /api/v1/run/<endpoint>`). No HTTP client here: callers
(the bridge, the tests, the benchmark) send it with their own."""

from __future__ import annotations

from typing import Any

from marketing_intel.analysis import InsightReport
from marketing_intel.flows.catalog import REPORT_NODE, FlowError, FlowSpec, WindowChoice


def run_request(spec: FlowSpec, tenant: str, window: WindowChoice) -> dict[str, Any]:
    """The JSON body of a run of `spec`: tenant and window as tweaks, no chat input_value
    (Langflow refuses a tweak of the chat input together with an input_value)."""
    return {"output_type": "chat", "tweaks": spec.tweaks(tenant, window)}


def report_from_answer(answer: dict[str, Any]) -> InsightReport:
    """The report in a run answer: the text of the `ChatOutput-report` output."""
    for run in answer.get("outputs") or []:
        for output in run.get("outputs") or []:
            if output.get("component_id") == REPORT_NODE:
                return report_from_message(output["results"]["message"]["text"])
    raise FlowError(f"The run answer has no {REPORT_NODE} output; re-import the flow.")


def report_from_message(text: str) -> InsightReport:
    """The report a Chat Output shows: Langflow renders Data as a fenced JSON block."""
    body = text.strip().removeprefix("```json").removesuffix("```")
    return InsightReport.model_validate_json(body)
