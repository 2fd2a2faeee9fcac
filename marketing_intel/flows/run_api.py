"""Langflow's run API for the flows (`POST /api/v1/run/<endpoint>`): the request that sets an
analysis flow's tenant and window, or a chat flow's message, tenant and brand; and what is read
back from the answer: a Chat Output's text, an analysis flow's report. No HTTP client here: callers
(the bridge, the tests, the benchmark) send it with their own."""

from __future__ import annotations

from typing import Any

from marketing_intel.analysis import InsightReport
from marketing_intel.fenced_json import unfence_json
from marketing_intel.flows.catalog import (
    REPORT_NODE,
    AnalysisFlowSpec,
    ChatFlowSpec,
    FlowError,
    WindowChoice,
)


def run_request(spec: AnalysisFlowSpec, tenant: str, window: WindowChoice) -> dict[str, Any]:
    """The JSON body of a run of `spec`: tenant and window as tweaks, no chat input_value
    (Langflow refuses a tweak of the chat input together with an input_value)."""
    return {"output_type": "chat", "tweaks": spec.tweaks(tenant, window)}


def chat_request(spec: ChatFlowSpec, text: str, tenant: str, brand: str = "") -> dict[str, Any]:
    """The JSON body of a run of the chat flow `spec`: message, tenant and brand as tweaks."""
    return {"output_type": "chat", "tweaks": spec.tweaks(text, tenant, brand)}


def output_text(answer: dict[str, Any], node_id: str) -> str:
    """The text the Chat Output `node_id` shows in a run answer."""
    for run in answer.get("outputs") or []:
        for output in run.get("outputs") or []:
            if output.get("component_id") == node_id:
                return str(output["results"]["message"]["text"])
    raise FlowError(f"The run answer has no {node_id} output; re-import the flow.")


def report_from_answer(answer: dict[str, Any]) -> InsightReport:
    """The report in a run answer: the text of the `ChatOutput-report` output."""
    return report_from_message(output_text(answer, REPORT_NODE))


def report_from_message(text: str) -> InsightReport:
    """The report a Chat Output shows."""
    return InsightReport.model_validate_json(json_from_message(text))


def json_from_message(text: str) -> str:
    """The JSON of Data a Chat Output shows: Langflow renders Data as a fenced JSON block."""
    return unfence_json(text)
