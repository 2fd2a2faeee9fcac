"""The report every analysis template returns: numbers from statistics, a narrative from them.

`InsightReport` is the boundary model (pydantic): nodes, the CLI, the cache and memory all carry
it as is. Each `Insight` holds the number it is about (value, baseline, change) and the evidence
rows behind it; the narrative is rendered from the insights alone (`narrative.py`), so no number
in it comes from anywhere else.

Severity, one scale for every template (a finding's rank within a level is its `impact`):
- critical: money or data is being lost now and a person should act today (a tracking outage, a
  silent integration, a spend spike buying nothing, a failure rate collapse);
- warning: a material, confirmed change that needs action this week (a ROAS collapse, a
  sustained CPA rise, a lag rise, a sharply declining segment);
- notice: worth a look, confirmed but smaller or uncertain;
- info: context (rankings, "stable", "not identifiable" explanations); context usually belongs
  in the report's `table`, not in its insights.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from marketing_intel.errors import problem_text

# One scale for every template (the README's "Severity" section says what each level asks of a
# person); a finding's rank within a level is its `impact`.
Severity = Literal["info", "notice", "warning", "critical"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "notice": 2, "info": 3}


# The years a requested window may cover. Both engines hold far more (BigQuery years 1-9999), but
# templates look back before a window (the previous window, trailing baselines), and a window
# near year 1 made that arithmetic overflow; no marketing data is older or later than this.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)


class Window(BaseModel):
    """The inclusive date range a report covers."""

    model_config = ConfigDict(frozen=True)

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start > self.end:
            raise ValueError(
                f"the window starts ({self.start}) after it ends ({self.end}); swap the dates"
            )
        return self

    @classmethod
    def last_days(cls, days: int, *, today: dt.date) -> Window:
        """The `days` days up to and including `today`."""
        if days < 1:
            raise ValueError("the window needs at least 1 day")
        if days > (today - EARLIEST_DATE).days + 1:
            raise ValueError(
                f"{days} days before {today} reach back past {EARLIEST_DATE}; ask for fewer days"
            )
        return cls(start=today - dt.timedelta(days=days - 1), end=today)

    @classmethod
    def from_inputs(
        cls, *, days: int | None, start: str | None, end: str | None, today: dt.date
    ) -> Window:
        """The window people ask for: explicit dates (YYYY-MM-DD, both) or the last `days` days."""
        if start or end:
            if not (start and end):
                raise ValueError("give both a start and an end date (YYYY-MM-DD), or neither")
            try:
                first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
            except ValueError as error:
                raise ValueError(f"the window's dates are not valid: {error}") from None
            try:
                window = cls(start=first, end=last)
            except ValidationError as error:  # as one plain sentence, like the errors above
                raise ValueError(problem_text(error.errors()[0])) from None
            return window.within_supported_years()
        return cls.last_days(days or 28, today=today).within_supported_years()

    def within_supported_years(self) -> Window:
        """This window, when it lies between `EARLIEST_DATE` and `LATEST_DATE`; else a
        ValueError saying so (a requested window is checked here, before any engine sees it)."""
        if self.start < EARLIEST_DATE or self.end > LATEST_DATE:
            raise ValueError(
                f"the window {self.start}..{self.end} is outside the dates the lake holds; "
                f"give dates between {EARLIEST_DATE} and {LATEST_DATE}"
            )
        return self

    def complete_days(self, now: dt.datetime) -> Window | None:
        """The part of the window before the day of `now` (that day is still filling up, so
        its counts would look like drops against whole days); None if nothing is left."""
        last = min(self.end, now.date() - dt.timedelta(days=1))
        return Window(start=self.start, end=last) if self.start <= last else None

    @property
    def days(self) -> int:
        """How many days the window covers."""
        return (self.end - self.start).days + 1

    def previous(self) -> Window:
        """The window of equal length just before this one."""
        return Window(
            start=self.start - dt.timedelta(days=self.days), end=self.start - dt.timedelta(days=1)
        )


class ChartPoint(BaseModel):
    """One point of a chart: a day (or a spend) and its value, with the expected band if any."""

    x: dt.date | float
    y: float | None = Field(None, description="The observed value; None for a gap.")
    expected: float | None = Field(None, description="What the baseline or model expected.")
    low: float | None = Field(None, description="Lower edge of the expected band.")
    high: float | None = Field(None, description="Upper edge of the expected band.")
    series: str = Field("value", description="Which line the point belongs to.")


class ChartMarker(BaseModel):
    """A labelled place on a chart's x axis: a finding's first day, the current spend, ..."""

    x: dt.date | float
    label: str


class ChartData(BaseModel):
    """The numbers behind a finding's picture; `marketing_intel.charts` draws them.

    `series`: values over days against an expected band (an anomalous day, a level shift, a
    platform's failure rate). `curve`: a response curve over spend, with markers at the current and
    proposed spend. `trend`: several series over days (segment trends).
    """

    kind: Literal["series", "curve", "trend"]
    title: str
    x_title: str
    y_title: str
    points: list[ChartPoint] = Field(default_factory=list)
    markers: list[ChartMarker] = Field(default_factory=list)


class Insight(BaseModel):
    """One finding: what it is about, how big, against what, why we say so, and what to do."""

    kind: str = Field(description="What sort of finding, e.g. 'roas_drop', 'silent_integration'.")
    severity: Severity
    title: str = Field(description="One sentence, without numbers of its own.")
    subject: str | None = Field(None, description="What it is about: a campaign, a platform, ...")
    metric: str | None = None
    value: float | None = None
    baseline: float | None = None
    change: float | None = Field(None, description="Relative change of value against baseline.")
    evidence: list[dict[str, Any]] = Field(default_factory=list)
    recommendation: str | None = None
    start: dt.date | None = Field(None, description="The first day the finding covers.")
    end: dt.date | None = Field(None, description="The last day the finding covers.")
    impact: float | None = Field(
        None, description="Money at stake in the account's currency, where it can be computed."
    )
    chart: ChartData | None = Field(None, description="The evidence as a picture's numbers.")


class InsightReport(BaseModel):
    """A template's report for one tenant and window."""

    tenant_id: str
    template: str
    window: Window
    generated_at: dt.datetime
    data_watermark: dt.datetime | None = Field(
        None, description="The latest row time the report saw; None when the window had no rows."
    )
    insights: list[Insight] = Field(default_factory=list)
    table: list[dict[str, Any]] = Field(
        default_factory=list, description="The main evidence table (one row per campaign, ...)."
    )
    narrative: str = ""

    def ranked_insights(self) -> list[Insight]:
        """Insights by severity, most severe first; within a severity, most money at stake first
        (stable among equals)."""
        return sorted(
            self.insights,
            key=lambda insight: (SEVERITY_ORDER[insight.severity], -(insight.impact or 0.0)),
        )
