"""The flows in a real Langflow server (tests/langflow_server.py, one per session): Langflow lists
our nodes and starter projects, runs each analysis flow by endpoint name with tweaks for the
tenant and the window, runs brand-voice-check with tweaks for the draft, tenant and brand, and
answers bad input with our sentence."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from marketing_intel.analysis import Window
from marketing_intel.brand_voice import BrandVoiceScore
from marketing_intel.flows import (
    ANALYSIS_FLOWS,
    BRAND_VOICE_FLOW,
    FLOWS,
    NARRATIVE_NODE,
    NEAREST_NODE,
    SCORE_NODE,
    VERDICT_NODE,
    AnalysisFlowSpec,
    WindowChoice,
)
from marketing_intel.flows.run_api import (
    chat_request,
    json_from_message,
    output_text,
    report_from_answer,
    run_request,
)
from tests.brand_voice_seed import VOICES, seed_brand_voice
from tests.langflow_server import (
    LangflowServer,
    assert_report_matches_direct,
    assert_undeclared_tweak_refused,
)

pytestmark = pytest.mark.langflow_server
BUNDLE = "marketing_intel"


@pytest.fixture(scope="module")
def api(langflow_server: LangflowServer) -> httpx.Client:
    return langflow_server.client()


def _window(server: LangflowServer) -> Window:
    """Three weeks of complete days that end on the demo data's last day."""
    return Window(start=server.data_end - dt.timedelta(days=20), end=server.data_end)


def _run(
    api: httpx.Client, spec: AnalysisFlowSpec, tenant: str, window: WindowChoice
) -> httpx.Response:
    return api.post(f"/api/v1/run/{spec.endpoint}", json=run_request(spec, tenant, window))


def _detail(response: httpx.Response) -> str:
    return str(response.json()["detail"])


def test_api_all_lists_our_nodes(api: httpx.Client) -> None:
    nodes = api.get("/api/v1/all").raise_for_status().json()[BUNDLE]
    expected = {f"{spec.component}Component" for spec in ANALYSIS_FLOWS.values()}
    expected |= {"BigQueryQueryComponent", "BrandVoiceSearchComponent"}
    assert {f"ext:{BUNDLE}:{name}@official" for name in expected} <= set(nodes)


def test_the_gallery_lists_our_starter_projects(api: httpx.Client) -> None:
    starters = api.get("/api/v1/flows/basic_examples/").raise_for_status().json()
    ours = {flow["name"]: flow for flow in starters if flow["name"] in _titles()}
    assert set(ours) == _titles()
    for spec in FLOWS.values():
        assert ours[spec.title]["description"] == spec.description
        assert ours[spec.title]["tags"] == list(spec.tags)


def _titles() -> set[str]:
    return {spec.title for spec in FLOWS.values()}


def test_the_flows_are_loaded_into_the_project_by_endpoint_name(api: httpx.Client) -> None:
    flows = api.get("/api/v1/flows/", params={"get_all": True}).raise_for_status().json()
    loaded = {flow["endpoint_name"]: flow["id"] for flow in flows if flow.get("endpoint_name")}
    for spec in FLOWS.values():
        assert loaded.get(spec.endpoint) == spec.flow_id


@pytest.mark.parametrize("spec", ANALYSIS_FLOWS.values(), ids=lambda spec: spec.endpoint)
def test_each_flow_runs_by_endpoint_with_tenant_and_window_tweaks(
    api: httpx.Client, langflow_server: LangflowServer, spec: AnalysisFlowSpec
) -> None:
    window = _window(langflow_server)
    choice = WindowChoice(start=str(window.start), end=str(window.end))
    response = _run(api, spec, "demo-2", choice)
    assert response.status_code == 200, response.text[-2000:]
    # The same `now` as the server's run (some numbers, like hours since the last event, use it).
    report = assert_report_matches_direct(langflow_server, response.json(), spec.template, window)
    narrative = output_text(response.json(), NARRATIVE_NODE)
    assert narrative.strip().startswith(report.narrative.strip())
    charted = any(insight.chart for insight in report.insights)
    assert ("format=html" in narrative) is charted  # the charts' page, named when there are some


def test_brand_voice_check_runs_by_endpoint_with_draft_tenant_and_brand_tweaks(
    api: httpx.Client, langflow_server: LangflowServer
) -> None:
    """The server scores the draft on its embedded index exactly as the core `score()` does,
    and shows the verdict and the nearest exemplars."""
    tenant = f"bv-{uuid.uuid4().hex[:12]}"  # its own tenant: reruns and other tests never mix
    index = seed_brand_voice(langflow_server.vectors_path, tenant, "sprout")
    draft = VOICES["sprout-and-co"]["off_brand"][2]
    try:
        direct = index.score(draft, tenant=tenant, brand="sprout", k=3)
    finally:
        index.close()
    body = chat_request(BRAND_VOICE_FLOW, draft, tenant, "sprout")
    response = api.post(f"/api/v1/run/{BRAND_VOICE_FLOW.endpoint}", json=body)
    assert response.status_code == 200, response.text[-2000:]
    answer = response.json()
    score = BrandVoiceScore.model_validate_json(json_from_message(output_text(answer, SCORE_NODE)))
    assert direct.label == "off brand"
    assert score.model_dump(mode="json") == direct.model_dump(mode="json")
    assert output_text(answer, VERDICT_NODE).startswith(direct.summary)
    nearest = output_text(answer, NEAREST_NODE)
    assert all(match.text in nearest for match in direct.nearest), nearest


def test_brand_voice_check_answers_a_bad_tenant_with_our_sentence(api: httpx.Client) -> None:
    body = chat_request(BRAND_VOICE_FLOW, "Snack time!", "bad tenant!", "sprout")
    response = api.post(f"/api/v1/run/{BRAND_VOICE_FLOW.endpoint}", json=body)
    assert response.status_code == 500
    assert "Error building Component Brand Search" in _detail(response)
    assert "The tenant id 'bad tenant!' is not valid; use 1-100 letters, digits" in _detail(
        response
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
            "The tenant id 'bad tenant!' is not valid; use 1-100 letters, digits",
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
    assert "Error building Component Campaign KPIs" in _detail(response)
    assert sentence in _detail(response)


def test_only_the_declared_fields_accept_tweaks(api: httpx.Client) -> None:
    """The flows declare their API-editable fields; the server (LANGFLOW_TWEAKS_POLICY=declared,
    as in langflow.env) refuses a tweak of anything else, such as the node's code."""
    assert_undeclared_tweak_refused(api)
