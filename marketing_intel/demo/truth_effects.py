"""The truth benchmark's planted effects: their kinds, size ranges, random draws and planting.

Every effect is drawn at "material size" (big enough that an analyst would want to know), from
the ranges below, on a subject chosen at random, with its days inside the scored window (the
last `window_days` of the history). A tracking outage must also hide at least
MIN_OUTAGE_CONVERSIONS usual conversions (see there why: a smaller one is invisible in noise).
`PlantedEffect` is the truth a report is scored against.

Campaign effects change a campaign's daily arrays (`CampaignDays`); platform effects change the
drawn events (`EventChunk`); segment effects are daily growth rates of the audience size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from marketing_intel.demo.events import EventChunk
from marketing_intel.demo.spec import EPOCH, MICROS_PER_DAY, MICROS_PER_HOUR, PLATFORMS

# Size ranges (uniform draws), one per planted kind.
SPEND_SPIKE_FACTOR = (2.0, 5.0)  # spend x2-5 for 1-3 days; conversions and revenue do not follow
SPIKE_DAYS = (1, 3)
OUTAGE_DAYS = (1, 3)  # conversions and revenue 0, spend normal
# An outage is material when it hides at least this many conversions (the campaign's usual
# daily conversions x the outage's days). Why: zero conversions where mu were expected has
# probability e^-mu at best (Poisson; overdispersion makes it likelier), and a report tests
# 1,000-15,000 campaign-days at a false-discovery rate of 5%, so only runs with P below ~1e-6
# can be told from the zeros of ordinary days: mu >= ~14. A one-day outage of a campaign
# expecting 5 (P = e^-5 ~ 0.007) is what a hundred clean campaign-days show by chance; no test
# can see it, and an analyst loses ~5 conversions of data. Smaller outages are not planted.
MIN_OUTAGE_CONVERSIONS = 15.0
ROAS_DROP = (0.5, 0.8)  # ROAS falls by 50-80% ...
COLLAPSE_MIN_DAYS = 5  # ... for >= 5 days, half the time to the window's end
SILENT_HOURS = (24.0, 72.0)  # a platform sends nothing for its last 24-72 hours
FAILURE_RATE = (0.2, 0.5)  # failure rate 20-50% for 1-2 days (normally ~1%)
FAILURE_DAYS = (1, 2)
# Delivery lag x45-300 for one day, or from a day to the window's end: from the usual ~2 s to
# 1.5-10 minutes. A rise matters once deliveries come a minute or more later than usual (what the
# platform template reports, MIN_LAG_EXCESS_S); 2 s -> 30 s changes nothing anyone acts on.
LAG_FACTOR = (45.0, 300.0)
SEGMENT_GROWTH = (0.015, 0.04)  # audience size +-1.5-4% a day over the whole history

CAMPAIGN_KINDS = ("spend_spike", "tracking_outage", "roas_collapse")
PLATFORM_KINDS = ("silent_integration", "failure_spike", "lag_rise")
SEGMENT_KINDS = ("rising_segment", "declining_segment")
EFFECT_KINDS = (*CAMPAIGN_KINDS, *PLATFORM_KINDS, *SEGMENT_KINDS)


@dataclass(frozen=True)
class PlantedEffect:
    """One planted effect: where (tenant, subject), when (first and last day) and how big.

    `size` is the kind's number: the spend factor, the ROAS drop (0.6 = -60%), the failure
    rate, the lag factor, the daily growth rate, the hours of silence; 0 for an outage.
    """

    tenant_id: str
    kind: str
    subject: str  # campaign id, platform or segment id
    start: dt.date
    end: dt.date
    size: float


@dataclass(frozen=True)
class DayRange:
    """Days [first, last] as indices into the history."""

    first: int
    last: int

    def mask(self, days: int) -> np.ndarray:
        """A boolean per day of the history, true on these days."""
        index = np.arange(days)
        return (index >= self.first) & (index <= self.last)

    def shifted(self, offset: int) -> DayRange:
        """The same days counted from another origin (e.g. days since the epoch)."""
        return DayRange(self.first + offset, self.last + offset)


@dataclass
class CampaignDays:
    """A tenant's campaign-day arrays (campaigns x days) before they become rows."""

    spend: np.ndarray
    expected_revenue: np.ndarray  # what the spend buys on average (conversions follow it)
    conversions: np.ndarray | None = None
    revenue: np.ndarray | None = None


def short_run(
    rng: np.random.Generator, days: int, window_days: int, lengths: tuple[int, int]
) -> DayRange:
    """A run of 1-3 (`lengths`) days starting inside the window and ending by its last day."""
    length = int(rng.integers(lengths[0], lengths[1] + 1))
    first = int(rng.integers(days - window_days, days - length + 1))
    return DayRange(first, first + length - 1)


def collapse_run(rng: np.random.Generator, days: int, window_days: int) -> DayRange:
    """At least COLLAPSE_MIN_DAYS days from inside the window: to its end, or (half the time)
    a stretch that recovers before the last day."""
    first = int(rng.integers(days - window_days, days - COLLAPSE_MIN_DAYS + 1))
    room = days - 1 - first  # days after `first`
    if rng.random() < 0.5 or room < COLLAPSE_MIN_DAYS:
        return DayRange(first, days - 1)
    return DayRange(first, first + int(rng.integers(COLLAPSE_MIN_DAYS - 1, room)))


def plant_before_conversions(
    kind: str, days: CampaignDays, row: int, run: DayRange, size: float
) -> None:
    """Spend spikes and ROAS collapses change the arrays conversions are drawn from."""
    mask = run.mask(days.spend.shape[1])
    if kind == "spend_spike":  # spend rises, what it buys stays at the usual spend's level
        days.spend[row, mask] *= size
    elif kind == "roas_collapse":  # the same spend buys (1 - size) of what it used to
        days.expected_revenue[row, mask] *= 1.0 - size


def plant_after_conversions(kind: str, days: CampaignDays, row: int, run: DayRange) -> None:
    """A tracking outage zeroes the drawn conversions and revenue."""
    if kind == "tracking_outage" and days.conversions is not None and days.revenue is not None:
        mask = run.mask(days.spend.shape[1])
        days.conversions[row, mask] = 0
        days.revenue[row, mask] = 0.0


def plant_failures(
    rng: np.random.Generator, chunk: EventChunk, platform: int, run: DayRange, rate: float
) -> EventChunk:
    """Events of `platform` on the run's days (since the epoch) fail at `rate`."""
    hit = (chunk.platform == platform) & _on_days(chunk, run)
    failed = chunk.failed.copy()
    failed[hit] = rng.random(int(hit.sum())) < rate
    return dataclasses.replace(chunk, failed=failed)


def plant_lag(chunk: EventChunk, platform: int, run: DayRange, factor: float) -> EventChunk:
    """Deliveries of `platform` on the run's days (since the epoch) take `factor` times as long."""
    hit = (chunk.platform == platform) & _on_days(chunk, run)
    lag = chunk.received - chunk.occurred
    received = np.where(hit, chunk.occurred + (lag * factor).astype(np.int64), chunk.received)
    return dataclasses.replace(chunk, received=received)


def plant_silence(chunk: EventChunk, platform: int, cutoff_micros: int) -> EventChunk:
    """Nothing from `platform` is received from `cutoff_micros` on: those events are dropped."""
    keep = ~((chunk.platform == platform) & (chunk.received >= cutoff_micros))
    return _filtered(chunk, keep)


def silence_cutoff(end_date: dt.date, hours: float) -> int:
    """The instant (micros) `hours` before the end of `end_date`."""
    end = ((end_date - EPOCH).days + 1) * MICROS_PER_DAY
    return end - int(hours * MICROS_PER_HOUR)


def micros_date(micros: int) -> dt.date:
    """The UTC date of an instant in micros since the epoch."""
    return EPOCH + dt.timedelta(days=micros // MICROS_PER_DAY)


def platform_index(name: str) -> int:
    """The index of a platform in PLATFORMS."""
    return PLATFORMS.index(name)


def _on_days(chunk: EventChunk, run: DayRange) -> np.ndarray:
    """Whether each event occurred on the run's days (`run` in days since the epoch)."""
    day = chunk.occurred // MICROS_PER_DAY
    return (day >= run.first) & (day <= run.last)


def _filtered(chunk: EventChunk, keep: np.ndarray) -> EventChunk:
    """The chunk's events where `keep` is true."""
    changes: dict[str, object] = {}
    for field in dataclasses.fields(chunk):
        values = getattr(chunk, field.name)
        changes[field.name] = (
            values.filter(pa.array(keep)) if isinstance(values, pa.Array) else values[keep]
        )
    return dataclasses.replace(chunk, **changes)  # type: ignore[arg-type]
