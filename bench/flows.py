"""Each analysis flow run warm through Langflow's `POST /api/v1/run/<endpoint>` vs the template's
Python called directly, in the same run and on the same demo data and window.

The server is a real `langflow run` (tests/langflow_server.py: the wheel's bundle, the flows of
`flows/` loaded by endpoint name). The baseline is `run_template` on a copy of the server's lake,
opened once. Target: the API run within 1.5x + 100 ms of the baseline. Also printed: Langflow's
own floor, a Chat Input -> Chat Output flow run the same way. Cache-hit runs come with the
insight cache (issue 7); these runs all compute.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench.timing import median_seconds
from marketing_intel.analysis import Window, run_template
from marketing_intel.flows import ANALYSIS_FLOWS, WindowChoice
from marketing_intel.flows.run_api import report_from_answer, run_request
from marketing_intel.lake import DuckDBLake
from tests.langflow_server import start_langflow, stop_langflow

TENANT = "demo-1"
REPEAT = 7


def main() -> None:
    """Start Langflow, then time every flow both ways and print the ratios."""
    with tempfile.TemporaryDirectory() as folder:
        process, server = start_langflow(Path(folder))
        try:
            window = Window(start=server.data_end - dt.timedelta(days=27), end=server.data_end)
            choice = WindowChoice(start=str(window.start), end=str(window.end))
            lake = DuckDBLake(server.reference_lake_path)
            with server.client() as api:
                print(f"flows: Langflow run API vs run_template, {window.days}-day window")
                floor_s = median_seconds(_echo_run(api), repeat=REPEAT)
                print(f"  Langflow's floor (Chat Input -> Chat Output): {floor_s * 1000:.1f} ms")
                for spec in ANALYSIS_FLOWS.values():
                    body = run_request(spec, TENANT, choice)

                    def over_api(endpoint: str = spec.endpoint, body: dict = body) -> None:
                        answer = api.post(f"/api/v1/run/{endpoint}", json=body)
                        report_from_answer(answer.raise_for_status().json())

                    def direct(template: str = spec.template) -> None:
                        run_template(template, lake, TENANT, window)

                    api_s = median_seconds(over_api, repeat=REPEAT)
                    direct_s = median_seconds(direct, repeat=REPEAT)
                    target = 1.5 * direct_s + 0.1
                    verdict = "ok" if api_s <= target else "OVER"
                    print(
                        f"  {spec.endpoint:<26} API {api_s * 1000:7.1f} ms, direct "
                        f"{direct_s * 1000:7.1f} ms: {api_s / direct_s:.2f}x, overhead "
                        f"{(api_s - direct_s) * 1000:+.0f} ms (target <= {target * 1000:.0f} ms: "
                        f"{verdict})"
                    )
            lake.close()
        finally:
            stop_langflow(process)


def _echo_run(api: httpx.Client) -> Any:
    """A run of the smallest flow (Chat Input -> Chat Output), created on the server."""
    from lfx.components.input_output import ChatInput, ChatOutput
    from lfx.graph import Graph

    chat_input = ChatInput(_id="ChatInput-echo")
    chat_output = ChatOutput(_id="ChatOutput-echo")
    chat_output.set(input_value=chat_input.message_response)
    data = Graph(start=chat_input, end=chat_output).dump()["data"]
    created = api.post("/api/v1/flows/", json={"name": "bench-echo", "data": data})
    flow_id = created.raise_for_status().json()["id"]

    def run() -> None:
        api.post(f"/api/v1/run/{flow_id}", json={"input_value": TENANT}).raise_for_status()

    return run
