"""The flows in a real Langflow server (tests/langflow_server.py, one per session): Langflow lists
our nodes and starter projects, runs each analysis flow by endpoint name with tweaks for the
tenant and the window, and answers bad input with our sentence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from marketing_intel.analysis import Window, run_template
from marketing_intel.flows import ANALYSIS_FLOWS, NARRATIVE_NODE, FlowSpec, WindowChoice
from marketing_intel.flows.run_api import report_from_answer, run_request
from marketing_intel.lake import DuckDBLake
from tests.lake_pair import assert_same
from tests.langflow_server import LangflowServer

pytestmark = pytest.mark.langflow_server
BUNDLE = "marketing_intel"


@pytest.fixture(scope="module")
def api(langflow_server: LangflowServer) -> httpx.Client:
    return langflow_server.client()


def _window(server: LangflowServer) -> Window:
    """Three weeks of complete days that end on the demo data's last day."""
    return Window(start=server.data_end - dt.timedelta(days=20), end=server.data_end)


def _run(api: httpx.Client, spec: FlowSpec, tenant: str, window: WindowChoice) -> httpx.Response:
    return api.post(f"/api/v1/run/{spec.endpoint}", json=run_request(spec, tenant, window))


def _detail(response: httpx.Response) -> str:
    return str(response.json()["detail"])


def test_api_all_lists_our_nodes(api: httpx.Client) -> None:
    nodes = api.get("/api/v1/all").raise_for_status().json()[BUNDLE]
    expected = {f"{spec.component}Component" for spec in ANALYSIS_FLOWS.values()}
    expected.add("BigQueryQueryComponent")
    assert {f"ext:{BUNDLE}:{name}@official" for name in expected} <= set(nodes)


def test_the_gallery_lists_our_starter_projects(api: httpx.Client) -> None:
    starters = api.get("/api/v1/flows/basic_examples/").raise_for_status().json()
    ours = {flow["name"]: flow for flow in starters if flow["name"] in _titles()}
    assert set(ours) == _titles()
    for spec in ANALYSIS_FLOWS.values():
        assert ours[spec.title]["description"] == spec.description
        assert ours[spec.title]["tags"] == list(spec.tags)


def _titles() -> set[str]:
    return {spec.title for spec in ANALYSIS_FLOWS.values()}


def test_the_flows_are_loaded_into_the_project_by_endpoint_name(api: httpx.Client) -> None:
    flows = api.get("/api/v1/flows/", params={"get_all": True}).raise_for_status().json()
    loaded = {flow["endpoint_name"]: flow["id"] for flow in flows if flow.get("endpoint_name")}
    for spec in ANALYSIS_FLOWS.values():
        assert loaded.get(spec.endpoint) == spec.flow_id


@pytest.mark.parametrize("spec", ANALYSIS_FLOWS.values(), ids=lambda spec: spec.endpoint)
def test_each_flow_runs_by_endpoint_with_tenant_and_window_tweaks(
    api: httpx.Client, langflow_server: LangflowServer, spec: FlowSpec
) -> None:
    window = _window(langflow_server)
    choice = WindowChoice(start=str(window.start), end=str(window.end))
    response = _run(api, spec, "demo-2", choice)
    assert response.status_code == 200, response.text[-2000:]
    report = report_from_answer(response.json())

    # The same `now` as the server's run (some numbers, like hours since the last event, use it).
    lake = DuckDBLake(langflow_server.reference_lake_path)
    try:
        direct = run_template(spec.template, lake, "demo-2", window, now=report.generated_at)
    finally:
        lake.close()
    assert report.insights, "the demo data should give findings"
    assert_same(report.model_dump(mode="json"), direct.model_dump(mode="json"))
    narrative = _output_text(response.json(), NARRATIVE_NODE)
    assert narrative.strip() == report.narrative.strip()


def _output_text(answer: dict[str, Any], node_id: str) -> str:
    outputs = answer["outputs"][0]["outputs"]
    return str(
        next(o for o in outputs if o["component_id"] == node_id)["results"]["message"]["text"]
    )


def test_a_last_n_days_window_ends_today(api: httpx.Client) -> None:
    spec = ANALYSIS_FLOWS["audience-trends"]
    response = _run(api, spec, "demo-1", WindowChoice(days=7))
    assert response.status_code == 200, response.text[-2000:]
    report = report_from_answer(response.json())
    assert report.window.days == 7
    assert report.window.end == dt.datetime.now(dt.UTC).date()


@pytest.mark.parametrize(
    ("tenant", "window", "sentence"),
    [
        (
            "bad tenant!",
            WindowChoice(days=7),
            "The tenant id 'bad tenant!' is not valid: use 1-128 letters, digits",
        ),
        (
            "",
            WindowChoice(days=7),
            "Every lake query runs for one tenant, and none was given; set the tenant id.",
        ),
        (
            "demo-1",
            WindowChoice(start="2026-10-31", end="2026-10-01"),
            "the window starts (2026-10-31) after it ends (2026-10-01); swap the dates",
        ),
        ("demo-1", WindowChoice(start="2026-13-01", end="2026-11-01"), "dates are not valid"),
        ("demo-1", WindowChoice(days=-3), "the window needs at least 1 day"),
    ],
    ids=["bad-tenant", "no-tenant", "reversed-dates", "bad-date", "negative-days"],
)
def test_bad_input_is_answered_with_our_sentence(
    api: httpx.Client, tenant: str, window: WindowChoice, sentence: str
) -> None:
    """Langflow answers a node's error with HTTP 500 and the node's message in `detail`."""
    response = _run(api, ANALYSIS_FLOWS["campaign-insights"], tenant, window)
    assert response.status_code == 500
    assert "Error building Component Campaign Insights" in _detail(response)
    assert sentence in _detail(response)


def test_only_the_declared_fields_accept_tweaks(api: httpx.Client) -> None:
    """The flows declare their API-editable fields; the server (LANGFLOW_TWEAKS_POLICY=declared,
    as in langflow.env) refuses a tweak of anything else, such as the node's code."""
    spec = ANALYSIS_FLOWS["roi-optimization"]
    body = run_request(spec, "demo-1", WindowChoice(days=7))
    body["tweaks"]["ChatOutput-report"] = {"sender_name": "someone else"}
    response = api.post(f"/api/v1/run/{spec.endpoint}", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "TWEAKS_REFUSED"
    assert response.json()["detail"]["fields"] == ["sender_name"]
