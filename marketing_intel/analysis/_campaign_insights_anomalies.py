"""Day-level campaign anomalies: spend spikes that bought nothing, tracking outages and
conversion drops, with the false-discovery rate controlled over every campaign-day tested.

Each day is compared with the campaign's recent level times its weekday factor
(`baselines.seasonal_level_baselines`: the median of the previous week, deseasoned), which keeps
weekly seasonality from looking like an anomaly and follows a budget change within days;
holidays and the days of a level shift are left out of those baselines. How far a day may stray
is learned per campaign from all its days (one pooled robust spread, the MAD of its residuals
over ~8 weeks) rather than from four same-weekday values, whose MAD is a noisy spread for small
campaigns and made ~0.7% of ordinary campaign-days look anomalous:

- spend: the log of spend against the log of its baseline (spend noise is multiplicative), the
  pooled spread floored at `min_spread_share`; a spike's p-value is the upper tail of Student's t
  with the pooled spread's degrees of freedom;
- conversions: their expected level, scaled down by the day's spend against its expected level
  when spend fell (less spend buys fewer conversions); the Anscombe residual
  2 (sqrt(x + 3/8) - sqrt(baseline + 3/8)) is ~N(0, 1) for Poisson counts, so its pooled spread
  squared (floored at 1: at least Poisson noise) is the counts' overdispersion, and a drop's
  p-value is the negative-binomial lower tail with it (a normal tail is far too thin for a zero
  from a small, noisy count).

The p-values of a report's spend rises, and those of its conversion falls, over every complete
day of the window, form two families whose false-discovery rates are held at `fdr_q`
(Benjamini-Hochberg), so thousands of campaign-days raise no more false alarms than a handful
would. Discoveries are then classified:

- spend spike (spend discovered, at least MIN_SPIKE_RATIO x baseline). Consecutive spike days are
  pooled, and the run is tested for whether the extra money bought conversions: returns
  diminish, but a healthy spend increase by x still lifts conversions by x ** b with b at least
  `min_elasticity`, so the run's conversions are compared with baseline x (spend / usual spend)
  ** min_elasticity, in units of the conversions' spread. A shortfall beyond `cap_zscore` means
  the spike bought next to nothing: cap the budget (critical: money is being lost now).
  Otherwise a small campaign's few conversions cannot show whether the spike paid, so what
  spend did next decides: back near its usual level (SPIKE_BACK_RATIO) in the SPIKE_AFTER_DAYS
  after, it was a spike of money nobody may have meant (`spend_spike`, warning); still running
  on the last day, a notice (too early to tell from a new budget); staying up, a budget change,
  counted in the table only.
- tracking outage: zero conversions while spend held (>= half its baseline). Consecutive zero
  days of a campaign are one test (`ZeroRun`: the joint probability of zero on each day, under
  the overdispersed count), standing in the family for the run's days, discovered and confirmed
  by the Poisson probability of the whole run, exp(-expected conversions) < `count_alpha`
  (critical: data is being lost).
- conversions drop: conversions at most half the baseline while spend held, discovered and
  confirmed by the Poisson lower tail below `count_alpha` (warning).

Consecutive flagged days of one campaign and kind are reported as one finding with its first and
last day, the money at stake and a chart of the series against its band.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import pdtr
from scipy.stats import nbinom
from scipy.stats import t as student_t

from marketing_intel.analysis._campaign_insights_daily import DailyCampaigns
from marketing_intel.analysis._campaign_insights_kpis import CampaignKey, relative_change
from marketing_intel.analysis.baselines import (
    MAD_TO_SIGMA,
    DayScore,
    row_medians,
    seasonal_level_baselines,
)
from marketing_intel.analysis.discoveries import significant
from marketing_intel.analysis.finding_charts import series_chart
from marketing_intel.analysis.holiday_days import holiday_clause, holidays_within
from marketing_intel.analysis.report import ChartData, Insight, Severity, Window

if TYPE_CHECKING:
    from marketing_intel.analysis.campaign_insights import Options

# A day within this many spreads of its expectation has p > 0.02: no false-discovery procedure
# over thousands of days rejects it, so its exact tail is not computed.
SCREEN_Z = 2.0
MIN_SPIKE_RATIO = 2.0  # a spend spike at least doubles the usual spend
SPIKE_AFTER_DAYS = 3  # days after a spike that tell a spike (spend came back) from a new budget
# Spend "came back" after a spike: within 25% of its usual level (daily delivery noise and a
# routine budget revision are each ~10-15%; a new budget after a spike is a bigger step).
SPIKE_BACK_RATIO = 1.25
HELD_SPEND_RATIO = 0.5  # spend "held" while conversions fell: at least half its usual level
MAX_DROP_RATIO = 0.5  # a conversions drop leaves at most half the usual conversions
METRIC_LABELS = {"spend": "daily spend", "conversions": "daily conversions"}


@dataclass(frozen=True)
class RunText:
    """How a run of flagged days is reported: its insight kind, severity, metric and words."""

    insight_kind: str
    severity: Severity
    series: str
    title: str  # formatted with the campaign's name
    recommendation: str


RUN_TEXTS = {
    # The spike bought next to nothing: this is the "cap" action.
    "spend_spike_without_conversions": RunText(
        "cap_budget",
        "critical",
        "spend",
        "Campaign {name} spent far above its usual level without the conversions to match.",
        "Cap the campaign's daily budget near its usual spend and check recent bid or budget "
        "changes before letting it spend more.",
    ),
    # The spike may have converted (its conversions cannot show it either way), but the money
    # left at several times the usual rate for a few days: the budget owner should confirm it.
    "spend_spike": RunText(
        "spend_spike",
        "warning",
        "spend",
        "Campaign {name} spent several times its usual level.",
        "Check that the campaign's budget or bid change was intended; if not, bring its daily "
        "budget back to its usual spend.",
    ),
    "spend_spike_open": RunText(
        "spend_spike",
        "notice",
        "spend",
        "Campaign {name} has spent several times its usual level since the day shown.",
        "Confirm that the budget or bid change was intended; if not, bring its daily budget "
        "back to its usual spend.",
    ),
    "tracking_outage": RunText(
        "tracking_outage",
        "critical",
        "conversions",
        "Campaign {name} recorded no conversions while its spend held, like a tracking outage.",
        "Check the campaign's conversion tracking (pixel, tag or conversions API) for these days "
        "and backfill the lost conversions before judging its ROAS.",
    ),
    "conversions_drop": RunText(
        "conversions_drop",
        "warning",
        "conversions",
        "Campaign {name} recorded far fewer conversions than usual while its spend held.",
        "Check the campaign's conversion tracking and landing page for these days.",
    ),
}


@dataclass(frozen=True)
class DayTests:
    """One series' day tests (campaign x day): the expected value, the spread of a day around
    it, a z-score in pooled spreads and the one-sided p-value (NaN where not tested)."""

    values: np.ndarray
    expected: np.ndarray
    spread: np.ndarray
    zscore: np.ndarray
    p_value: np.ndarray

    def score(self, row: int, column: int, day: dt.date) -> DayScore:
        """The cell as a DayScore."""
        return DayScore(
            day,
            float(self.values[row, column]),
            float(self.expected[row, column]),
            float(self.spread[row, column]),
            float(self.zscore[row, column]),
        )


@dataclass(frozen=True)
class DayFinding:
    """One flagged day of one campaign, with the scores of spend and conversions that day."""

    key: CampaignKey
    kind: str  # spend_spike | tracking_outage | conversions_drop
    day: dt.date
    scores: dict[str, DayScore]

    def evidence(self) -> dict[str, Any]:
        """The day's values, baselines and z-scores (JSON-friendly)."""
        row: dict[str, Any] = {"date": self.day.isoformat()}
        for name, score in self.scores.items():
            row[name] = score.value
            row[f"{name}_baseline"] = score.baseline
            row[f"{name}_zscore"] = score.zscore
        return row


@dataclass(frozen=True)
class DayAnomalies:
    """The flagged days of a report and the tests behind them (for charts and impacts)."""

    daily: DailyCampaigns
    tests: dict[str, DayTests]
    findings: list[DayFinding]


def day_anomalies(
    daily: DailyCampaigns,
    window: Window,
    options: Options,
    *,
    holidays: Mapping[dt.date, str],
    shifted: np.ndarray | None = None,
) -> DayAnomalies:
    """Every flagged day inside the window (earlier days serve only as history). `shifted`
    marks cells of a level shift (campaign x day): baselines do not learn from them."""
    learn = ~daily.holidays(holidays)[None, :] & ~np.isnan(daily.series["spend"])
    if shifted is not None:
        learn &= ~shifted
    tested = np.zeros(learn.shape, dtype=bool)
    tested[:, max(daily.column(window.start), 0) : daily.column(window.end) + 1] = True
    spend = _spend_tests(daily.series["spend"], learn, tested, options)
    tests = {
        "spend": spend,
        "conversions": _conversion_tests(daily.series["conversions"], learn, tested, spend),
    }
    runs = zero_runs(tests["conversions"], tested & _spend_held(spend))
    family = run_family(tests["conversions"].p_value, runs)
    conversions_found = significant(family, options.fdr_q)
    kinds = _classify(
        tests,
        significant(spend.p_value, options.fdr_q),
        conversions_found & ~runs_mask(runs, family.shape),
        outage_cells(runs, conversions_found, options.count_alpha),
        options,
    )
    return DayAnomalies(
        daily,
        tests,
        [
            DayFinding(
                daily.keys[row],
                str(kinds[row, column]),
                daily.day(column),
                {name: test.score(row, column, daily.day(column)) for name, test in tests.items()},
            )
            for row, column in zip(*np.nonzero(kinds), strict=True)
        ],
    )


def _spend_tests(
    spend: np.ndarray, learn: np.ndarray, tested: np.ndarray, options: Options
) -> DayTests:
    """Log spend against its same-weekday baseline, in the campaign's pooled spread."""
    positive = np.where(spend > 0, spend, np.nan)
    expected = seasonal_level_baselines(positive, history=np.where(learn, positive, np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        residual = np.log(positive) - np.log(expected)
    floor = math.log1p(options.min_spread_share)
    scale, freedom = _pooled_spread(residual, learn, floor)
    zscore = residual / scale[:, None]
    return DayTests(
        values=spend,
        expected=expected,
        spread=expected * np.expm1(scale)[:, None],
        zscore=zscore,
        p_value=_tail(
            tested & (zscore > SCREEN_Z),
            tested & np.isfinite(zscore),
            lambda cells: student_t.sf(
                zscore[cells], np.broadcast_to(freedom[:, None], cells.shape)[cells]
            ),
        ),
    )


def _conversion_tests(
    conversions: np.ndarray, learn: np.ndarray, tested: np.ndarray, spend: DayTests
) -> DayTests:
    """Conversions against their seasonal level, scaled down where spend fell (fewer
    conversions from less spend are no drop), with an overdispersed count's lower tail."""
    level = seasonal_level_baselines(conversions, history=np.where(learn, conversions, np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        spend_ratio = np.nan_to_num(spend.values / spend.expected, nan=1.0)
    expected = level * np.clip(spend_ratio, 0.0, 1.0)
    with np.errstate(invalid="ignore"):
        residual = 2 * (np.sqrt(conversions + 0.375) - np.sqrt(expected + 0.375))
    scale, _ = _pooled_spread(residual, learn, 1.0)
    zscore = residual / scale[:, None]
    dispersion = np.broadcast_to(scale[:, None] ** 2, zscore.shape)
    return DayTests(
        values=conversions,
        expected=expected,
        spread=np.sqrt(np.maximum(expected, 0.0)) * scale[:, None],
        zscore=zscore,
        p_value=_tail(
            tested & (zscore < -SCREEN_Z),
            tested & ~np.isnan(expected),
            lambda cells: overdispersed_lower_tail(
                conversions[cells], expected[cells], dispersion[cells]
            ),
        ),
    )


def _tail(
    near: np.ndarray, tested: np.ndarray, tail: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """p-values of the tested cells: the exact `tail` where the z-score is past SCREEN_Z, 1
    elsewhere (such cells are never discoveries, and the tails of thousands of ordinary days
    are the template's slowest arithmetic); NaN where not tested."""
    p_values = np.where(tested, 1.0, np.nan)
    p_values[near] = tail(near)
    return p_values


def _pooled_spread(
    residual: np.ndarray, learn: np.ndarray, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each campaign's robust spread of its residuals on the days baselines learn from (MAD
    around 0, floored) and its degrees of freedom (at least 2)."""
    usable = np.abs(np.where(learn, residual, np.nan))
    counts = np.count_nonzero(~np.isnan(usable), axis=1)
    mad = row_medians(usable)
    return np.maximum(np.nan_to_num(mad * MAD_TO_SIGMA), floor), np.maximum(counts - 1, 2)


def _spend_held(spend: DayTests) -> np.ndarray:
    """Campaign-days whose spend held: at least HELD_SPEND_RATIO of its expected level (or no
    level to judge by)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = spend.values / spend.expected
    return np.isnan(ratio) | (ratio >= HELD_SPEND_RATIO)


def _classify(
    tests: dict[str, DayTests],
    spend_found: np.ndarray,
    conversions_found: np.ndarray,
    outage: np.ndarray,
    options: Options,
) -> np.ndarray:
    """Each campaign-day's finding kind ("" for none), in priority order: a spend spike, then a
    tracking outage (`outage`: the cells of discovered zero runs) or a conversions drop while
    spend held."""
    spend, conversions = tests["spend"], tests["conversions"]
    with np.errstate(invalid="ignore"):
        spike = spend_found & (spend.values / spend.expected >= MIN_SPIKE_RATIO)
        confirmed = conversions_found & _spend_held(spend)
        confirmed[confirmed] = (
            poisson_lower_tail(conversions.values[confirmed], conversions.expected[confirmed])
            < options.count_alpha
        )
        dropped = confirmed & (conversions.values <= MAX_DROP_RATIO * conversions.expected)
    return np.select(
        [spike, outage, dropped],
        ["spend_spike", "tracking_outage", "conversions_drop"],
        default="",
    )


@dataclass(frozen=True)
class ZeroRun:
    """Consecutive days of one campaign without a conversion while its spend held, tested as
    one event: `log_p` is the log of the joint probability of zero on every day (the days'
    overdispersed zero probabilities multiplied), `poisson_log_p` the same under plain Poisson
    noise (minus the conversions expected over the run)."""

    row: int
    first: int
    last: int
    log_p: float
    poisson_log_p: float


def zero_runs(conversions: DayTests, candidates: np.ndarray) -> list[ZeroRun]:
    """Every maximal run of `candidates` cells with zero conversions and a positive expectation.

    One zero at an expectation of 5 has P = e^-5 ~ 0.007, about what ordinary days show among
    thousands; three in a row have P ~ 3e-7. Testing the run as one event keeps that joint
    evidence, which day-by-day tests under a false-discovery rate throw away."""
    expected = np.nan_to_num(conversions.expected, nan=0.0)
    zero = candidates & (conversions.values == 0) & (expected > 0)
    if not zero.any():
        return []
    dispersion = np.where(zero, conversions.spread**2 / np.where(zero, expected, 1.0), 1.0)
    with np.errstate(divide="ignore"):
        log_zero = np.where(
            zero,
            np.log(overdispersed_lower_tail(np.zeros_like(expected), expected, dispersion)),
            0.0,
        )
    runs = []
    for row in np.flatnonzero(zero.any(axis=1)):
        padded = np.concatenate(([False], zero[row], [False])).astype(np.int8)
        edges = np.flatnonzero(np.diff(padded))
        for first, stop in zip(edges[::2], edges[1::2], strict=True):
            days = slice(int(first), int(stop))
            runs.append(
                ZeroRun(
                    int(row),
                    int(first),
                    int(stop) - 1,
                    float(log_zero[row, days].sum()),
                    -float(expected[row, days].sum()),
                )
            )
    return runs


def run_family(p_values: np.ndarray, runs: list[ZeroRun]) -> np.ndarray:
    """The conversion tests with each zero run as one test: its joint p-value on its first day,
    its other days tested and never discoveries (p = 1; the family keeps its size)."""
    family = p_values.copy()
    for run in runs:
        family[run.row, run.first : run.last + 1] = 1.0
        family[run.row, run.first] = math.exp(run.log_p)
    return family


def runs_mask(runs: list[ZeroRun], shape: tuple[int, ...]) -> np.ndarray:
    """The cells of the zero runs."""
    mask = np.zeros(shape, dtype=bool)
    for run in runs:
        mask[run.row, run.first : run.last + 1] = True
    return mask


def outage_cells(runs: list[ZeroRun], found: np.ndarray, count_alpha: float) -> np.ndarray:
    """The cells of the zero runs that are discoveries and confirmed by the plain Poisson
    probability of the run, below `count_alpha`."""
    confirmed = [
        run
        for run in runs
        if found[run.row, run.first] and run.poisson_log_p < math.log(count_alpha)
    ]
    return runs_mask(confirmed, found.shape)


@dataclass(frozen=True)
class SpikeResponse:
    """How a run of spend-spike days converted, pooled over the run."""

    incremental_yield: float | None  # extra conversions / extra spend, relative to usual
    shortfall_zscore: float  # conversions against the healthy expectation, in spreads

    def bought_nothing(self, options: Options) -> bool:
        """The run converted significantly worse than a healthy spend increase would."""
        return self.shortfall_zscore <= -options.cap_zscore


def spike_response(run: list[DayFinding], min_elasticity: float) -> SpikeResponse:
    """Pooled incremental yield and shortfall of a spike run (days without conversions history
    count as converting as expected: there is nothing to judge them by)."""
    observed = expected_extra = healthy = variance = 0.0
    for finding in run:
        spend, conversions = finding.scores["spend"], finding.scores["conversions"]
        if not (spend.baseline > 0 and conversions.baseline >= 0):
            continue
        extra = (spend.value - spend.baseline) * conversions.baseline / spend.baseline
        observed += conversions.value - conversions.baseline
        expected_extra += extra
        healthy += conversions.baseline * ((spend.value / spend.baseline) ** min_elasticity - 1)
        variance += conversions.spread**2
    return SpikeResponse(
        incremental_yield=observed / expected_extra if expected_extra > 0 else None,
        shortfall_zscore=(observed - healthy) / math.sqrt(variance) if variance > 0 else 0.0,
    )


def overdispersed_lower_tail(
    observed: np.ndarray, mean: np.ndarray, dispersion: np.ndarray
) -> np.ndarray:
    """P(X <= observed) for a count with this mean and variance = dispersion x mean (negative
    binomial; Poisson where the dispersion is 1), cell by cell; NaN where the mean is missing,
    1 where it is not positive."""
    mean = np.asarray(mean, dtype=float)
    dispersion = np.broadcast_to(dispersion, mean.shape)
    tail = np.where(np.isnan(mean), np.nan, 1.0)
    positive = np.nan_to_num(mean, nan=0.0) > 0
    extra = positive & (dispersion > 1 + 1e-9)
    size = mean[extra] / (dispersion[extra] - 1)
    tail[extra] = nbinom.cdf(np.floor(observed[extra]), size, size / (size + mean[extra]))
    plain = positive & ~extra
    tail[plain] = pdtr(np.floor(observed[plain]), mean[plain])
    return tail


def poisson_lower_tail(observed: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """P(X <= observed) for X ~ Poisson(mean), cell by cell; 1 where the mean is not positive
    or missing (nothing to judge by)."""
    positive = np.nan_to_num(mean, nan=0.0) > 0
    tail = np.ones(np.shape(mean))
    tail[positive] = pdtr(np.floor(observed[positive]), mean[positive])
    return tail


def finding_runs(findings: Iterable[DayFinding]) -> list[list[DayFinding]]:
    """Consecutive days of the same campaign and kind, grouped, oldest run first."""
    runs: list[list[DayFinding]] = []
    for finding in sorted(findings, key=lambda f: (f.key, f.kind, f.day)):
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and (last.key, last.kind) == (finding.key, finding.kind)
            and finding.day - last.day == dt.timedelta(days=1)
        ):
            runs[-1].append(finding)
        else:
            runs.append([finding])
    return sorted(runs, key=lambda run: (run[0].day, run[0].key, run[0].kind))


def run_kind(run: list[DayFinding], anomalies: DayAnomalies, options: Options) -> str:
    """The run's kind. A spike run is `spend_spike_without_conversions` when it bought nothing.
    Otherwise its conversions do not show whether it paid, and what it is depends on what spend
    did next, against its weekday-adjusted usual level (`DayTests.expected`, the median of the
    week before, which a spike of three days does not move): back (`spend_spike`), still the
    last day (`spend_spike_open`: a spike or a new budget, too early to say) or stayed up
    (`budget_change`: a new level, whose first days merely outran the baseline)."""
    kind = run[0].kind
    if kind != "spend_spike":
        return kind
    if spike_response(run, options.min_elasticity).bought_nothing(options):
        return "spend_spike_without_conversions"
    row, after = anomalies.daily.keys.index(run[0].key), anomalies.daily.column(run[-1].day) + 1
    spend = anomalies.tests["spend"]
    following = np.arange(after, min(after + SPIKE_AFTER_DAYS, anomalies.daily.width))
    # Against the expectation of the same weekday a week earlier: from before the spike, which
    # a baseline that has caught up with a new budget is not.
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = spend.values[row, following] / spend.expected[row, following - 7]
    ratios = ratios[np.isfinite(ratios)]
    if ratios.size == 0:
        return "spend_spike_open"
    back = float(np.median(ratios)) < SPIKE_BACK_RATIO  # on most following days
    return kind if back else "budget_change"


def run_insight(
    run: list[DayFinding],
    anomalies: DayAnomalies,
    campaign_name: str,
    options: Options,
    holidays: Mapping[dt.date, str],
) -> Insight | None:
    """One finding for a run of flagged days: the mean daily value against the mean baseline,
    the money at stake, the days it covers and its chart (None for a kind without words)."""
    kind = run_kind(run, anomalies, options)
    if kind not in RUN_TEXTS:
        return None
    text = RUN_TEXTS[kind]
    run_evidence: dict[str, Any] = {}
    if run[0].kind == "spend_spike":
        response = spike_response(run, options.min_elasticity)
        run_evidence = {
            "run_incremental_yield": response.incremental_yield,
            "run_shortfall_zscore": response.shortfall_zscore,
        }
    on_holidays = holidays_within(holidays, run[0].day, run[-1].day)
    if on_holidays:
        run_evidence["holidays"] = {day.isoformat(): name for day, name in on_holidays.items()}
    scores = [finding.scores[text.series] for finding in run]
    value = math.fsum(score.value for score in scores) / len(scores)
    baseline = math.fsum(score.baseline for score in scores) / len(scores)
    platform, campaign_id = run[0].key
    start, end = run[0].day, run[-1].day
    return Insight(
        kind=text.insight_kind,
        severity=text.severity,
        title=text.title.format(name=f"'{campaign_name}'") + holiday_clause(holidays, start, end),
        subject=campaign_id,
        metric=METRIC_LABELS[text.series],
        value=value,
        baseline=baseline,
        change=relative_change(value, baseline),
        evidence=[
            {"platform": platform, "campaign_id": campaign_id, **f.evidence(), **run_evidence}
            for f in run
        ],
        recommendation=text.recommendation,
        start=start,
        end=end,
        impact=_impact(run, text.series, anomalies),
        chart=_run_chart(run, text, anomalies, campaign_name),
    )


def _impact(run: list[DayFinding], series: str, anomalies: DayAnomalies) -> float:
    """Money at stake: the spend above usual of a spike that bought nothing; the revenue the
    missing conversions stand for (at the campaign's usual value per conversion) otherwise."""
    if series == "spend":
        return math.fsum(f.scores["spend"].value - f.scores["spend"].baseline for f in run)
    daily = anomalies.daily
    row = daily.keys.index(run[0].key)
    value = daily.value_per_conversion(row, daily.column(run[0].day)) or 0.0
    missing = math.fsum(
        max(f.scores["conversions"].baseline - f.scores["conversions"].value, 0.0) for f in run
    )
    return missing * value


def _run_chart(
    run: list[DayFinding], text: RunText, anomalies: DayAnomalies, campaign_name: str
) -> ChartData:
    daily = anomalies.daily
    row = daily.keys.index(run[0].key)
    tests = anomalies.tests[text.series]
    return series_chart(
        title=f"{METRIC_LABELS[text.series].capitalize()} of '{campaign_name}'",
        y_title=METRIC_LABELS[text.series],
        days=daily.days(),
        values=_optional(tests.values[row]),
        expected=_optional(tests.expected[row]),
        spread=_optional(tests.spread[row]),
        start=run[0].day,
        end=run[-1].day,
    )


def _optional(row: np.ndarray) -> list[float | None]:
    return [None if math.isnan(value) else float(value) for value in row]
