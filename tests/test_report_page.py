"""The report's HTML page: one self-contained document (inline SVG charts, no scripts, fonts or
links out), every string from tenant data escaped, and `mi analyze --html` writing it.

The reports are real: campaign_insights over a seeded demo lake in which one campaign is named
like an attack. Until the templates fill `Insight.chart`, the tests give each finding a sample
chart (tests/chart_samples.py)."""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketing_intel.analysis import InsightReport, Window, run_template
from marketing_intel.cli import app
from marketing_intel.demo import DemoSpec, generate
from marketing_intel.lake import DuckDBLake
from marketing_intel.report_page import report_html
from marketing_intel.report_page.chat_note import charts_note
from tests.chart_samples import series_sample, with_sample_charts

END = dt.date(2026, 3, 31)
WINDOW = Window.last_days(28, today=END)
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


class PageParts(HTMLParser):
    """The tags, attributes and text of a page, as a browser's parser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.headings: list[str] = []  # the findings' h3 titles, in page order
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)
        self._in_heading = tag == "h3"

    def handle_endtag(self, tag: str) -> None:
        self._in_heading = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_heading:
            self.headings.append(data)


def parts(page: str) -> PageParts:
    parser = PageParts()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> InsightReport:
    """demo-1's campaign report, one campaign renamed to HOSTILE, a sample chart per finding."""
    lake = DuckDBLake(tmp_path_factory.mktemp("page") / "lake.duckdb")
    renamed: str | None = None
    for table, batch in generate(DemoSpec(end_date=END, tenants=1, days=60)):
        if table != "campaign_metrics":
            continue
        rows = batch.to_pylist()
        renamed = renamed or rows[0]["campaign_id"]
        for row in rows:
            if row["campaign_id"] == renamed:
                row["campaign_name"] = HOSTILE
        lake.insert(table, rows)
    found = run_template("campaign_insights", lake, "demo-1", WINDOW, {})
    lake.close()
    assert found.insights, "the demo plants campaign anomalies; the page needs findings to show"
    return with_sample_charts(found)


def test_the_page_shows_the_report_and_each_finding_with_its_chart(report: InsightReport) -> None:
    page = report_html(report)
    read = parts(page)
    text = " ".join(read.text)
    assert "Campaign insights" in text
    assert "demo-1" in text
    assert f"{WINDOW.start} to {WINDOW.end}" in text
    assert report.generated_at.strftime("%Y-%m-%d %H:%M") in text
    for insight in report.insights:
        assert insight.title in text
        assert insight.severity in text
        if insight.recommendation:
            assert insight.recommendation in text
    assert read.tags.count("svg") == len(report.insights)
    assert read.tags.count("article") == len(report.insights)
    assert read.tags.count("tr") == len(report.table) + 1  # the evidence table and its header
    # The findings section lists them ranked: most severe, then most money at stake, first.
    assert read.headings == [insight.title for insight in report.ranked_insights()]


def test_the_page_is_self_contained(report: InsightReport) -> None:
    page = report_html(report)
    read = parts(page)
    assert "script" not in read.tags
    assert not {"link", "iframe", "object", "embed", "img"} & set(read.tags)
    for name, value in read.attributes:
        assert not name.startswith("on"), name
        if name in ("src", "href"):
            pytest.fail(f"the page refers outside itself: {name}={value}")
    for outside in ("@import", "@font-face", "url(", "http://", "https://"):
        # The only URLs are the SVG namespace declarations, which no browser fetches.
        assert page.replace("http://www.w3.org/", "").count(outside) == 0, outside


def test_tenant_data_is_escaped_everywhere(report: InsightReport) -> None:
    """A campaign named like an attack shows as text: in the table, the narrative, the findings
    and the charts' titles."""
    page = report_html(report)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    read = parts(page)
    assert "script" not in read.tags
    assert not any(name.startswith("on") for name, _ in read.attributes)
    shown = " ".join(read.text)
    assert shown.count(HOSTILE) >= 1  # the evidence table names the campaign, as text
    hostile_finding = report.insights[0].model_copy(
        update={
            "title": HOSTILE,
            "subject": HOSTILE,
            "recommendation": HOSTILE,
            "chart": series_sample(title=HOSTILE),
        }
    )
    attacked = report.model_copy(
        update={"insights": [hostile_finding], "narrative": f"## {HOSTILE}\n- **{HOSTILE}**"}
    )
    page = report_html(attacked)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert " ".join(parts(page).text).count(HOSTILE) >= 5


def test_a_chart_that_cannot_be_drawn_says_so_and_the_page_still_renders(
    report: InsightReport,
) -> None:
    broken = report.insights[0].model_copy(
        update={"chart": series_sample().model_copy(update={"points": []})}
    )
    page = report_html(report.model_copy(update={"insights": [broken]}))
    assert "has no points to draw" in page
    assert broken.title in " ".join(parts(page).text)


def test_mi_analyze_writes_the_page(tmp_path: Path) -> None:
    runner = CliRunner()
    end = "2026-11-26"
    seeded = runner.invoke(
        app, ["demo", "seed", "--tenants", "1", "--days", "40", "--end-date", end]
    )
    assert seeded.exit_code == 0, seeded.output
    target = tmp_path / "report.html"
    args = ["analyze", "campaign_insights", "--tenant", "demo-1", "--start", "2026-10-30"]
    answer = runner.invoke(app, [*args, "--end", end, "--json", "--html", str(target)])
    assert answer.exit_code == 0, answer.output
    printed = InsightReport.model_validate(json.loads(answer.stdout))
    page = target.read_text(encoding="utf-8")
    text = " ".join(parts(page).text)
    assert "Wrote the HTML report to" in answer.stderr
    assert "demo-1" in text
    assert "2026-10-30 to 2026-11-26" in text
    for insight in printed.insights:
        assert insight.title in text


def test_mi_analyze_says_when_the_page_cannot_be_written(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(
        app, ["demo", "seed", "--tenants", "1", "--days", "7", "--end-date", "2026-11-26"]
    )
    target = tmp_path / "no-such-folder" / "report.html"
    answer = runner.invoke(
        app, ["analyze", "campaign_insights", "--tenant", "demo-1", "--html", str(target)]
    )
    assert answer.exit_code == 1
    assert f"cannot write the HTML report to {target}" in answer.stderr


def test_the_chat_note_names_the_pages_two_doors_only_when_there_are_charts(
    report: InsightReport,
) -> None:
    note = charts_note(report)
    assert note is not None
    assert f"{len(report.insights)} charts" in note
    window = f"start={WINDOW.start}&end={WINDOW.end}"
    assert f"GET /v1/insights/campaign_insights?{window}&format=html" in note
    assert f"--tenant demo-1 --start {WINDOW.start} --end {WINDOW.end} --html" in note
    bare = report.model_copy(
        update={"insights": [i.model_copy(update={"chart": None}) for i in report.insights]}
    )
    assert charts_note(bare) is None
