"""Flow JSONs for the job tests, built with lfx's graph API and dumped the way Langflow
exports them (with an endpoint name), each declaring the fields its callers may set
(`api_editable`), as the exported flows do."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lfx.components.input_output import ChatInput, ChatOutput
from lfx.graph import Graph

from components.marketing_intel.analysis_templates import CampaignInsightsComponent
from tests.jobs_components import SlowEchoComponent
from tests.state_probe_component import StateProbeComponent


def write_flow(
    folder: Path,
    endpoint_name: str,
    graph: Graph,
    editable: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Dump `graph` as `<folder>/<endpoint_name>.json`, with the fields of `editable` (node id
    -> field names) marked `api_editable`."""
    folder.mkdir(parents=True, exist_ok=True)
    flow: dict[str, Any] = graph.dump(
        name=endpoint_name, description="test flow", endpoint_name=endpoint_name
    )
    for node in flow["data"]["nodes"]:
        for name in (editable or {}).get(node["id"], ()):
            node["data"]["node"]["template"][name]["api_editable"] = True
    path = folder / f"{endpoint_name}.json"
    path.write_text(json.dumps(flow), encoding="utf-8")
    return path


def echo_flow(folder: Path, endpoint_name: str = "echo") -> Path:
    """ChatInput -> ChatOutput: the job's input comes back (a no-op flow)."""
    chat_in = ChatInput(_id="input")
    chat_out = ChatOutput(_id="output")
    chat_out.set(input_value=chat_in.message_response)
    return write_flow(folder, endpoint_name, Graph(start=chat_in, end=chat_out))


def slow_echo_flow(folder: Path, endpoint_name: str = "slow-echo") -> Path:
    """ChatInput -> Slow Echo (node id `slow`) -> ChatOutput."""
    chat_in = ChatInput(_id="input")
    slow = SlowEchoComponent(_id="slow")
    slow.set(text=chat_in.message_response)
    chat_out = ChatOutput(_id="output")
    chat_out.set(input_value=slow.build_echo)
    knobs = {"slow": ("seconds", "runs_dir", "fail_if_exists")}
    return write_flow(folder, endpoint_name, Graph(start=chat_in, end=chat_out), knobs)


def campaign_insights_flow(folder: Path, endpoint_name: str = "campaign-insights") -> Path:
    """Tenant in -> Campaign KPIs (node `insights`) -> its report as the flow's output."""
    chat_in = ChatInput(_id="input")
    insights = CampaignInsightsComponent(_id="insights")
    insights.set(tenant_id=chat_in.message_response, days=28)
    chat_out = ChatOutput(_id="output")
    chat_out.set(input_value=insights.build_report)
    window = {"insights": ("days", "start_date", "end_date", "options")}
    return write_flow(folder, endpoint_name, Graph(start=chat_in, end=chat_out), window)


def state_probe_flow(folder: Path, endpoint_name: str = "state-probe") -> Path:
    """ChatInput -> State Probe (node id `probe`) -> ChatOutput: the probe's report of what
    earlier runs left behind."""
    chat_in = ChatInput(_id="input")
    probe = StateProbeComponent(_id="probe")
    probe.set(text=chat_in.message_response)
    chat_out = ChatOutput(_id="output")
    chat_out.set(input_value=probe.build_report)
    return write_flow(folder, endpoint_name, Graph(start=chat_in, end=chat_out))
