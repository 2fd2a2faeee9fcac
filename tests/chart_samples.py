"""Hand-made chart numbers of each kind, shaped like the templates' (a planted spike day, a
response curve with current and proposed spend, segment trends), for the chart and page tests."""

from __future__ import annotations

import datetime as dt

from marketing_intel.analysis.report import ChartData, ChartMarker, ChartPoint, InsightReport

FIRST_DAY = dt.date(2026, 11, 1)
SPIKE_DAY = FIRST_DAY + dt.timedelta(days=20)


def series_sample(title: str = "Daily spend of Brand Search") -> ChartData:
    """28 days around a weekly baseline with one day (the 21st) far above its band."""
    points = []
    for day in range(28):
        expected = 100.0 + (10.0 if day % 7 == 5 else 0.0)
        observed = 180.0 if day == 20 else expected + (3.0 if day % 3 else -4.0)
        points.append(
            ChartPoint(
                x=FIRST_DAY + dt.timedelta(days=day),
                y=observed,
                expected=expected,
                low=expected - 12,
                high=expected + 12,
            )
        )
    markers = [ChartMarker(x=SPIKE_DAY, label=f"spike {SPIKE_DAY}")]
    return ChartData(
        kind="series",
        title=title,
        x_title="Day",
        y_title="Spend (USD)",
        points=points,
        markers=markers,
    )


def curve_sample() -> ChartData:
    """A fitted revenue = 40 * spend^0.6 with a +-10% band, 20 observed days around it."""
    fitted = [
        ChartPoint(
            x=float(s), expected=40 * s**0.6, low=36 * s**0.6, high=44 * s**0.6, series="fit"
        )
        for s in range(0, 2001, 100)
    ]
    observed = [
        ChartPoint(x=float(s), y=40 * s**0.6 * (1 + ((s * 7) % 11 - 5) / 50), series="observed")
        for s in range(300, 1500, 60)
    ]
    return ChartData(
        kind="curve",
        title="Revenue response of Brand Search",
        x_title="Daily spend (USD)",
        y_title="Daily revenue (USD)",
        points=fitted + observed,
        markers=[ChartMarker(x=800.0, label="current"), ChartMarker(x=1040.0, label="proposed")],
    )


TREND_SEGMENTS = {
    "Lapsed buyers": (1000.0, -8.0),
    "VIP": (500.0, 6.0),
    "New visitors": (800.0, 2.0),
}


def trend_sample() -> ChartData:
    """Three segments' sizes over 28 days with their fitted straight lines."""
    points = [
        ChartPoint(
            x=FIRST_DAY + dt.timedelta(days=day),
            y=level + slope * day + ((day * 13) % 7 - 3) * 4,
            expected=level + slope * day,
            series=name,
        )
        for name, (level, slope) in TREND_SEGMENTS.items()
        for day in range(28)
    ]
    return ChartData(
        kind="trend", title="Segment size", x_title="Day", y_title="Members", points=points
    )


def with_sample_charts(report: InsightReport) -> InsightReport:
    """`report` with a chart on each finding (the kinds in turn), each titled by its subject, as
    the templates will fill them."""
    makers = (series_sample, curve_sample, trend_sample)
    insights = []
    for index, insight in enumerate(report.insights):
        chart = makers[index % 3]()
        chart.title = f"{insight.subject or insight.kind}: {chart.title}"
        insights.append(insight.model_copy(update={"chart": chart}))
    return report.model_copy(update={"insights": insights})
