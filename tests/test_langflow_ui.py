"""The Langflow UI in a real browser: headless Chromium (Debian's package, `make chromium`) driven
by Playwright opens the session's Langflow server, finds our bundle in the components sidebar and
our template in the templates gallery, creates a flow from it, and saves screenshots under
`.artifacts/langflow-ui/` (gitignored)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.langflow_server import LangflowServer

pytestmark = pytest.mark.langflow_server
REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / ".artifacts" / "langflow-ui"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
UI_TIMEOUT_MS = 120_000  # the first page load compiles nothing, but a busy runner is slow
BUNDLE_TITLE = "Marketing Intel"
NODE_TITLES = ["Audience Trends", "BigQuery Query", "Campaign Insights", "ROI Optimizer"]
TEMPLATE = "Campaign Insights"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: run `make chromium`.", pytrace=False)
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


def test_the_ui_shows_our_bundle_and_template(langflow_server: LangflowServer, page: Page) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{langflow_server.url}/")  # auto-login lands on the user's project
    # Loaded into the project at start-up (LANGFLOW_LOAD_FLOWS_PATH).
    expect(page.get_by_text(TEMPLATE, exact=True).first).to_be_visible(timeout=UI_TIMEOUT_MS)

    page.get_by_text("New Flow").first.click()
    page.get_by_text("Browse more...").click()
    gallery = page.get_by_role("dialog")
    gallery.get_by_text("All templates").click()
    gallery.get_by_placeholder("Search...").fill(TEMPLATE)
    card = gallery.get_by_text(TEMPLATE, exact=True)
    expect(card).to_be_visible(timeout=UI_TIMEOUT_MS)
    page.screenshot(path=ARTIFACTS / "templates-gallery.png", animations="disabled")

    card.click()  # a new flow from our template, on the canvas
    expect(gallery).to_be_hidden(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text("Tenant ID").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text("Narrative", exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)

    bundle = page.get_by_text(BUNDLE_TITLE, exact=True)
    page.wait_for_timeout(1000)  # let the panel settle before asking whether it is open
    if not bundle.is_visible():  # the components panel may start closed; its button toggles it
        page.get_by_text("Components", exact=True).first.click()
    bundle.click()
    for title in NODE_TITLES:
        expect(page.get_by_text(title, exact=True).first).to_be_visible(timeout=UI_TIMEOUT_MS)
    page.wait_for_timeout(1500)  # the bundle's list unfolds with a scripted height transition
    page.screenshot(path=ARTIFACTS / "bundle-and-template.png", animations="disabled")
    assert (ARTIFACTS / "bundle-and-template.png").stat().st_size > 10_000
