"""What every template shares: the window, the template registry, the narrative."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from marketing_intel.analysis import Insight, InsightReport, Window, render_narrative, run_template
from marketing_intel.lake import DuckDBLake

TODAY = dt.date(2026, 11, 26)


def test_windows_from_inputs() -> None:
    assert Window.from_inputs(days=7, start=None, end=None, today=TODAY) == Window(
        start=dt.date(2026, 11, 20), end=TODAY
    )
    explicit = Window.from_inputs(days=7, start="2026-10-01", end="2026-10-31", today=TODAY)
    assert explicit.days == 31
    assert explicit.previous() == Window(start=dt.date(2026, 8, 31), end=dt.date(2026, 9, 30))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-10-31", "2026-10-01", "swap the dates"),
        ("2026-10-01", None, "give both a start and an end date"),
        ("2026-13-01", "2026-10-01", "not valid"),
    ],
)
def test_bad_windows_are_explained(start: str, end: str | None, message: str) -> None:
    with pytest.raises((ValueError, ValidationError), match=message):
        Window.from_inputs(days=7, start=start, end=end, today=TODAY)


def test_unknown_templates_and_future_windows_are_refused(lake: DuckDBLake) -> None:
    now = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
    window = Window(start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 7))
    with pytest.raises(ValueError, match="unknown template 'nope'"):
        run_template("nope", lake, "demo-1", window, now=now)
    with pytest.raises(ValueError, match="starts in the future"):
        run_template("campaign_insights", lake, "demo-1", window, now=now)


def test_the_narrative_holds_only_the_insights_numbers() -> None:
    insight = Insight(
        kind="roas_drop",
        severity="warning",
        title="Return on ad spend fell for Spring Sale.",
        metric="ROAS",
        value=1.25,
        baseline=2.5,
        change=-0.5,
        recommendation="Pause the campaign until its tracking is checked.",
    )
    report = InsightReport(
        tenant_id="demo-1",
        template="campaign_insights",
        window=Window(start=dt.date(2026, 11, 1), end=TODAY),
        generated_at=dt.datetime(2026, 11, 27, tzinfo=dt.UTC),
        insights=[Insight(kind="note", severity="info", title="All good elsewhere."), insight],
    )
    narrative = render_narrative(report)
    assert narrative.splitlines()[0] == "## Campaign insights for demo-1"
    assert "2026-11-01 to 2026-11-26 (26 days)" in narrative
    lines = narrative.splitlines()
    warning = lines.index(
        "- 🟠 **Return on ad spend fell for Spring Sale.** "
        "(ROAS 1.25, baseline 2.50, change -50.0%)"
    )
    assert (
        lines[warning + 1]
        == "  - Recommendation: Pause the campaign until its tracking is checked."
    )
    assert warning < lines.index("- 🔵 **All good elsewhere.**")  # most severe first
