"""Langflow's UI in a real browser: headless Chromium (Debian's package, `make chromium`) driven by
Playwright, as an analyst meets the product.

Each of the six flows, both as `make run` serves them (nodes from `components/`, the flow loaded
into the project) and as a flow created from the templates gallery of the installed wheel:
- opens on the canvas whole: no "connections were removed" toast, every edge of the JSON drawn,
  no two nodes overlapping, no edge running across a node it does not connect, no update or
  error badge;
- saved from the UI unchanged, still runs over Langflow's run API to the report (or score) our
  code computes directly;
- runs from the Playground, typed in as a person would (tenant `demo-1`; a demo brand indexed
  for brand voice): the narrative's first finding (or the verdict) shows, the narrative before the
  report JSON. The agent flow needs a model key, so it is only opened and saved.

The sidebar shows every node of the bundle with its whole name. Screenshots of every canvas and
Playground go to `.artifacts/langflow-ui/` (gitignored); the servers' start-up logs are checked for
tracebacks from our code.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import vl_convert
from playwright.sync_api import Browser, Page, expect, sync_playwright

from marketing_intel.analysis import Window, run_template
from marketing_intel.brand_voice import LocalBrandVoiceIndex
from marketing_intel.charts import chart_svg
from marketing_intel.flows import (
    ANALYSIS_FLOWS,
    BRAND_SEARCH_NODE,
    BRAND_VOICE_FLOW,
    FLOWS,
    NARRATIVE_NODE,
    AnalysisFlowSpec,
    FlowSpec,
    WindowChoice,
)
from marketing_intel.flows.run_api import chat_request, report_from_answer, run_request
from marketing_intel.lake import DuckDBLake
from tests.brand_voice_seed import seed_brand_voice
from tests.chart_samples import series_sample
from tests.langflow_server import REPO_ROOT, LangflowServer

pytestmark = pytest.mark.langflow_server
ARTIFACTS = REPO_ROOT / ".artifacts" / "langflow-ui"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
UI_TIMEOUT_MS = 120_000  # a busy 2-core runner is slow to render and to run a flow
RUN_TIMEOUT_MS = 240_000
TENANT = "demo-1"
BRAND = "sprout"
DRAFT = "Snack o'clock? Grab a Sprout bar, made with real oats!"
BUNDLE_TITLE = "Marketing Intel"
# How each test meets a flow: the server fixture, and whether the flow comes from the gallery.
SERVINGS = {"make-run": ("langflow_dev_server", False), "wheel": ("langflow_server", True)}
# Per edge, the points of its drawn curve checked against the nodes it does not connect.
EDGE_SAMPLES = 40
# A point this close to a node's border (screen pixels) is on it, not across it.
BORDER_PX = 6

_CANVAS_STATE = """(samples) => {
  const rects = {};
  for (const n of document.querySelectorAll('.react-flow__node')) {
    const r = n.getBoundingClientRect();
    rects[n.dataset.id] = {x: r.x, y: r.y, w: r.width, h: r.height};
  }
  const edges = [...document.querySelectorAll('.react-flow__edge')].map(e => {
    const path = e.querySelector('path.react-flow__edge-path') || e.querySelector('path');
    const total = path.getTotalLength(), m = path.getScreenCTM(), points = [];
    for (let i = 1; i < samples; i++) {
      const p = path.getPointAtLength(total * i / samples);
      points.push([m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f]);
    }
    return {id: e.dataset.id, points};
  });
  return {rects, edges};
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: run `make chromium`.", pytrace=False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(params=list(SERVINGS))
def serving(request: pytest.FixtureRequest) -> tuple[str, LangflowServer, bool]:
    """(name, server, from the gallery) for each way an analyst meets the flows."""
    fixture, from_gallery = SERVINGS[request.param]
    server = request.getfixturevalue(fixture)
    seed_brand_voice(server.vectors_path, TENANT, BRAND).close()
    return request.param, server, from_gallery


@pytest.mark.parametrize("spec", list(FLOWS.values()), ids=lambda spec: spec.endpoint)
def test_each_flow_opens_whole_saves_and_runs(
    serving: tuple[str, LangflowServer, bool], spec: FlowSpec, page: Page
) -> None:
    name, server, from_gallery = serving
    page.goto(f"{server.url}/")  # auto-login lands on the user's project
    expect(page.get_by_text("New Flow").first).to_be_visible()
    flow_id = _from_gallery(page, spec) if from_gallery else _open(page, server, spec)
    flow = _stored_flow(server, flow_id)
    shot = f"{name}-{spec.endpoint}"
    exported = json.loads((REPO_ROOT / "flows" / spec.file_name).read_text(encoding="utf-8"))
    assert _wiring(flow) == _wiring(exported)

    _assert_canvas_whole(page, flow, shot)
    _save(page, server, flow)
    node_ids = _node_ids(flow, exported)
    _assert_api_run(server, spec, flow_id, node_ids)
    if spec in ANALYSIS_FLOWS.values() or spec == BRAND_VOICE_FLOW:
        _assert_playground_run(page, server, spec, node_ids.get(BRAND_SEARCH_NODE, ""), shot)


def _open(page: Page, server: LangflowServer, spec: FlowSpec) -> str:
    """Open the project's copy of the flow (loaded at start-up with the export's id)."""
    page.goto(f"{server.url}/flow/{spec.flow_id}")
    return spec.flow_id


def _from_gallery(page: Page, spec: FlowSpec) -> str:
    """Create a flow from our template in the gallery, as a user does; its new id."""
    page.get_by_text("New Flow").first.click()
    page.get_by_text("Browse more...").click()
    gallery = page.get_by_role("dialog")
    gallery.get_by_text("All templates").click()
    gallery.get_by_placeholder("Search...").fill(spec.title)
    card = gallery.get_by_text(spec.title, exact=True)
    expect(card).to_be_visible()
    if spec == FLOWS["campaign-insights"]:
        page.screenshot(path=ARTIFACTS / "templates-gallery.png", animations="disabled")
    card.click()
    expect(gallery).to_be_hidden()
    flow_url = re.compile(r"/flow/([0-9a-f-]{36})")
    page.wait_for_url(flow_url)
    found = flow_url.search(page.url)
    assert found, page.url
    return found.group(1)


def _stored_flow(server: LangflowServer, flow_id: str) -> dict[str, Any]:
    with server.client() as api:
        return dict(api.get(f"/api/v1/flows/{flow_id}").raise_for_status().json())


def _assert_canvas_whole(page: Page, flow: dict[str, Any], shot: str) -> None:
    nodes, edges = flow["data"]["nodes"], flow["data"]["edges"]
    expect(page.locator(".react-flow__node")).to_have_count(len(nodes))
    expect(page.locator(".react-flow__edge")).to_have_count(len(edges))
    page.wait_for_timeout(1500)  # fit-view and late toasts settle
    page.screenshot(path=ARTIFACTS / f"{shot}-canvas.png", animations="disabled")
    assert page.get_by_text("connections were removed").count() == 0
    for badge in ("Update ready", "needs review", "Update All"):
        assert page.get_by_text(badge).count() == 0, f"{shot}: the canvas shows {badge!r}"
    state = page.evaluate(_CANVAS_STATE, EDGE_SAMPLES)
    rects = state["rects"]
    assert len(state["edges"]) == len(edges)
    ids = sorted(rects)
    for i, first in enumerate(ids):
        for second in ids[i + 1 :]:
            assert not _overlap(rects[first], rects[second]), f"{shot}: {first} on {second}"
    ends = {edge["id"]: (edge["source"], edge["target"]) for edge in edges}
    for drawn in state["edges"]:
        for node_id, rect in rects.items():
            if node_id in ends[drawn["id"]]:
                continue
            inside = [p for p in drawn["points"] if _inside(p, rect)]
            assert not inside, f"{shot}: the edge {ends[drawn['id']]} runs across {node_id}"


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and (a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])
    )


def _inside(point: list[float], rect: dict[str, float]) -> bool:
    x, y = point
    return (rect["x"] + BORDER_PX < x < rect["x"] + rect["w"] - BORDER_PX) and (
        rect["y"] + BORDER_PX < y < rect["y"] + rect["h"] - BORDER_PX
    )


def _save(page: Page, server: LangflowServer, flow: dict[str, Any]) -> None:
    """Save the flow from the UI without changing it (the canvas's Ctrl+S): the stored flow is
    still the one opened, every node and edge whole (the UI writes only what it changed)."""
    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    expect(page.get_by_text("Flow saved successfully").first).to_be_visible()
    stored = _stored_flow(server, flow["id"])
    assert _wiring(stored) == _wiring(flow)


def _wiring(flow: dict[str, Any]) -> tuple[set[str], set[tuple[str, str, str, str]]]:
    """A flow's nodes and its edges as (source, output, target, field), each node named by its
    type and title (a flow made from the gallery gets new node ids)."""
    names = _node_names(flow)
    edges = {
        (
            names[edge["source"]],
            edge["data"]["sourceHandle"]["name"],
            names[edge["target"]],
            edge["data"]["targetHandle"]["fieldName"],
        )
        for edge in flow["data"]["edges"]
    }
    return set(names.values()), edges


def _node_names(flow: dict[str, Any]) -> dict[str, str]:
    return {
        node["id"]: f"{node['data']['type']}:{node['data']['node']['display_name']}"
        for node in flow["data"]["nodes"]
    }


def _node_ids(flow: dict[str, Any], exported: dict[str, Any]) -> dict[str, str]:
    """The export's node ids -> this flow's (the same under `make run`, new from the gallery)."""
    ids = {name: node_id for node_id, name in _node_names(flow).items()}
    return {node_id: ids[name] for node_id, name in _node_names(exported).items()}


def _assert_api_run(
    server: LangflowServer, spec: FlowSpec, flow_id: str, node_ids: dict[str, str]
) -> None:
    """The stored flow (what `/api/v1/run/<endpoint>` runs, or the gallery copy by id) answers
    what our code computes; the tweaks name the flow's own node ids."""
    if isinstance(spec, AnalysisFlowSpec):
        body = run_request(spec, TENANT, WindowChoice(days=28))
    elif spec == BRAND_VOICE_FLOW:
        body = chat_request(BRAND_VOICE_FLOW, DRAFT, TENANT, BRAND)
    else:
        return  # the agent needs a model key
    body["tweaks"] = {node_ids[node]: fields for node, fields in body["tweaks"].items()}
    target = spec.endpoint if flow_id == spec.flow_id else flow_id
    with server.client() as api:
        answer = api.post(f"/api/v1/run/{target}", json=body)
    assert answer.status_code == 200, answer.text
    if isinstance(spec, AnalysisFlowSpec):
        report = report_from_answer(_with_node_ids(answer.json(), node_ids))
        expected = _direct_report(server, spec, report.generated_at)
        assert [i.title for i in report.insights] == [i.title for i in expected.insights]
    else:
        assert _verdict_line(server) in json.dumps(answer.json())


def _with_node_ids(answer: dict[str, Any], node_ids: dict[str, str]) -> dict[str, Any]:
    """A run answer whose outputs name the export's node ids, as `report_from_answer` reads."""
    exported = {ours: theirs for theirs, ours in node_ids.items()}
    for run in answer.get("outputs") or []:
        for output in run.get("outputs") or []:
            output["component_id"] = exported.get(output.get("component_id"), "")
    return answer


def _direct_report(server: LangflowServer, spec: AnalysisFlowSpec, now: dt.datetime) -> Any:
    """The report `run_template` makes for the flow's default window (the last 28 days)."""
    window = Window.from_inputs(days=28, start="", end="", today=now.date())
    lake = DuckDBLake(server.reference_lake_path)
    try:
        return run_template(spec.template, lake, TENANT, window, now=now)
    finally:
        lake.close()


def _verdict_line(server: LangflowServer) -> str:
    """The first line of the verdict our code gives the draft."""
    index = LocalBrandVoiceIndex(server.vectors_path)
    try:
        return str(index.score(DRAFT, tenant=TENANT, brand=BRAND, k=3).summary)
    finally:
        index.close()


def _assert_playground_run(
    page: Page, server: LangflowServer, spec: FlowSpec, search_node: str, shot: str
) -> None:
    if spec == BRAND_VOICE_FLOW:  # the tenant and brand are the search node's fields
        node = page.locator(f'.react-flow__node[data-id="{search_node}"]')
        node.get_by_test_id("popover-anchor-input-tenant_id").fill(TENANT)
        node.get_by_test_id("popover-anchor-input-brand").fill(BRAND)
        expected, later = _verdict_line(server), "Score"
    else:
        assert isinstance(spec, AnalysisFlowSpec)
        report = _direct_report(server, spec, dt.datetime.now(dt.UTC))
        expected, later = report.insights[0].title, '"template"'
    page.get_by_text("Playground", exact=True).first.click()
    message = page.get_by_placeholder("Send a message...")
    message.fill(DRAFT if spec == BRAND_VOICE_FLOW else TENANT)
    message.press("Enter")
    expect(page.get_by_text(expected).first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_text(later).last).to_be_attached(timeout=RUN_TIMEOUT_MS)
    page.wait_for_timeout(1000)
    page.screenshot(path=ARTIFACTS / f"{shot}-playground.png", animations="disabled")
    text = page.locator("body").inner_text()
    # What an analyst reads first comes first: the narrative (or verdict), then the JSON.
    assert text.index(expected) < text.rindex(later.strip('"')), f"{shot}: {NARRATIVE_NODE}"


def test_the_sidebar_shows_every_node_by_its_whole_name(
    langflow_dev_server: LangflowServer, page: Page
) -> None:
    page.goto(f"{langflow_dev_server.url}/flow/{FLOWS['campaign-insights'].flow_id}")
    expect(page.locator(".react-flow__node").first).to_be_visible()
    bundle = page.get_by_text(BUNDLE_TITLE, exact=True)
    page.wait_for_timeout(1000)  # let the panel settle before asking whether it is open
    if not bundle.is_visible():  # the components panel may start closed; its button toggles it
        page.get_by_text("Components", exact=True).first.click()
    bundle.click()
    page.wait_for_timeout(1500)  # the bundle's list unfolds with a scripted height transition
    page.screenshot(path=ARTIFACTS / "sidebar.png", animations="disabled")
    with langflow_dev_server.client() as api:
        catalog = api.get("/api/v1/all").raise_for_status().json()
    titles = sorted({node["display_name"] for node in _our_nodes(catalog)})
    assert len(titles) == len(_our_nodes(catalog)), "two nodes share a name"
    for title in titles:
        item = page.get_by_text(title, exact=True).first
        expect(item).to_be_visible()
        cut = item.evaluate("e => e.scrollWidth > e.clientWidth + 1")
        assert not cut, f"the sidebar cuts {title!r}"


def _our_nodes(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    """Our bundle's nodes in `/api/v1/all` (under its folder name in development)."""
    folder = catalog.get("marketing_intel") or {}
    return list(folder.values())


@pytest.mark.parametrize("fixture", ["langflow_server", "langflow_dev_server"])
def test_langflow_starts_with_no_traceback_from_our_code(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    server: LangflowServer = request.getfixturevalue(fixture)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        client.get("/health_check").raise_for_status()
    log = server.log_path.read_text(errors="replace")
    ours = ("marketing_intel", "components/", "Error finding base class")
    blocks = log.split("Traceback")[1:]
    assert not [b[:400] for b in blocks if any(word in b[:4000] for word in ours)]
    assert "Error finding base class" not in log


def test_the_playground_chat_shows_no_data_uri_image(
    langflow_dev_server: LangflowServer, page: Page
) -> None:
    """Why the Playground links the report's page instead of showing charts: Langflow 1.13's chat
    renders a bot message's markdown with react-markdown, whose default URL filter keeps only
    http(s)/mailto/irc/xmpp URLs, then rehype-sanitize, which allows `src` over http(s) only.
    So a chart inlined as a `data:` URI, SVG or PNG, is an image without a source. A stock Chat
    Input -> Chat Output flow echoes a message with a chart both ways and an https image (the
    control: markdown images as such do render). If a Langflow upgrade starts drawing `data:`
    images, this test fails: then put the charts into the narrative message."""
    svg = chart_svg(series_sample())
    images = {
        "svg chart": _data_uri("image/svg+xml", svg.encode()),
        "png chart": _data_uri("image/png", vl_convert.svg_to_png(svg)),
        "https chart": "https://example.invalid/chart.png",
    }
    text = "\n\n".join(f"{alt}: ![{alt}]({url})" for alt, url in images.items())
    with langflow_dev_server.client() as api:
        flow_id = _upload_echo_flow(api)
        try:
            page.goto(f"{langflow_dev_server.url}/flow/{flow_id}")
            page.get_by_text("Playground", exact=True).first.click()
            message = page.get_by_placeholder("Send a message...")
            message.fill(text)
            message.press("Enter")
            shown = page.locator('img[alt="https chart"]')
            expect(shown).to_be_attached(timeout=RUN_TIMEOUT_MS)
            page.wait_for_timeout(1000)
            page.screenshot(
                path=ARTIFACTS / "playground-data-uri-charts.png", animations="disabled"
            )
            sources = {
                alt: page.locator(f'img[alt="{alt}"]').last.get_attribute("src") for alt in images
            }
        finally:
            api.delete(f"/api/v1/flows/{flow_id}").raise_for_status()
    assert sources == {"svg chart": None, "png chart": None, "https chart": images["https chart"]}


def _data_uri(media_type: str, content: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def _upload_echo_flow(api: httpx.Client) -> str:
    """A stock Chat Input -> Chat Output flow in the user's project; its id."""
    from lfx.components.input_output import ChatInput, ChatOutput
    from lfx.graph import Graph

    chat_input, chat_output = ChatInput(_id="ChatInput-echo"), ChatOutput(_id="ChatOutput-echo")
    chat_output.set(input_value=chat_input.message_response)
    flow: dict[str, Any] = dict(
        Graph(start=chat_input, end=chat_output).dump(
            name="Chart echo", description="Echoes a message.", endpoint_name="chart-echo"
        )
    )
    flow["id"] = str(uuid.uuid4())  # Langflow reserves uuid5 ids for its own histories
    upload = {"file": ("echo.json", json.dumps(flow), "application/json")}
    answer = api.post("/api/v1/flows/upload/", files=upload).raise_for_status()
    return str(answer.json()[0]["id"])
