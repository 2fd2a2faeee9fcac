"""Campaign KPIs for a window and the window before it, paired per campaign.

The ratios (CTR = clicks / impressions, CVR = conversions / clicks, CPA = spend / conversions,
ROAS = revenue / spend) are computed in SQL over the period's sums, so a campaign's ROAS is
weighted by its spend days rather than an average of daily ratios; an undefined ratio (nothing to
divide by) is None. A change is relative: (current - previous) / previous.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

KPI_NAMES = ("ctr", "cvr", "cpa", "roas")
TOTAL_NAMES = ("impressions", "clicks", "conversions", "spend", "revenue")

CampaignKey = tuple[str, str]  # (platform, campaign_id): campaign ids are unique per platform


def as_float(value: Decimal | float | int | None) -> float | None:
    """A SQL number as a float (NUMERIC arrives as Decimal); None stays None."""
    return None if value is None else float(value)


def relative_change(value: float | None, baseline: float | None) -> float | None:
    """(value - baseline) / baseline, or None when either is missing or the baseline is 0."""
    if value is None or baseline is None or baseline == 0:
        return None
    return (value - baseline) / baseline


@dataclass(frozen=True)
class PeriodKpis:
    """One campaign's totals and ratios over one period."""

    impressions: int = 0
    clicks: int = 0
    conversions: int = 0
    spend: float = 0.0
    revenue: float = 0.0
    active_days: int = 0
    ctr: float | None = None
    cvr: float | None = None
    cpa: float | None = None
    roas: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PeriodKpis:
        """The period's numbers from a `campaign_kpis.sql` row."""
        return cls(
            impressions=int(row["impressions"]),
            clicks=int(row["clicks"]),
            conversions=int(row["conversions"]),
            spend=float(row["spend"]),
            revenue=float(row["revenue"]),
            active_days=int(row["active_days"]),
            **{name: as_float(row[name]) for name in KPI_NAMES},
        )

    def number(self, name: str) -> float | None:
        """A total or ratio by name, as a float."""
        return as_float(getattr(self, name))


@dataclass(frozen=True)
class CampaignKpis:
    """One campaign's KPIs in the window (`current`) and the previous window."""

    platform: str
    campaign_id: str
    campaign_name: str
    current: PeriodKpis
    previous: PeriodKpis

    @property
    def key(self) -> CampaignKey:
        """The campaign's identity in the lake."""
        return (self.platform, self.campaign_id)

    def change(self, name: str) -> float | None:
        """Relative change of a total or ratio against the previous window."""
        return relative_change(self.current.number(name), self.previous.number(name))

    def table_row(self) -> dict[str, Any]:
        """Current and previous values and the change of every total and ratio (JSON-friendly)."""
        row: dict[str, Any] = {
            "platform": self.platform,
            "campaign_id": self.campaign_id,
            "campaign_name": self.campaign_name,
            "active_days": self.current.active_days,
        }
        for name in (*TOTAL_NAMES, *KPI_NAMES):
            row[name] = getattr(self.current, name)
            row[f"previous_{name}"] = getattr(self.previous, name)
            row[f"{name}_change"] = self.change(name)
        return row


def campaign_kpis(rows: list[dict[str, Any]]) -> list[CampaignKpis]:
    """Pair the 'current' and 'previous' rows of each campaign (a missing period is all zeros)."""
    periods: dict[CampaignKey, dict[str, PeriodKpis]] = {}
    names: dict[CampaignKey, str] = {}
    for row in rows:
        key = (row["platform"], row["campaign_id"])
        periods.setdefault(key, {})[row["period"]] = PeriodKpis.from_row(row)
        # The current name wins: rows come ordered 'current' before 'previous'.
        names.setdefault(key, row["campaign_name"] or row["campaign_id"])
    return [
        CampaignKpis(
            platform=key[0],
            campaign_id=key[1],
            campaign_name=names[key],
            current=by_period.get("current", PeriodKpis()),
            previous=by_period.get("previous", PeriodKpis()),
        )
        for key, by_period in sorted(periods.items())
    ]


def latest_update(rows: list[dict[str, Any]]) -> dt.datetime | None:
    """The latest `updated_at` among the window's rows (None when the window had none)."""
    times = [row["latest_update"] for row in rows if row["period"] == "current"]
    return max(times) if times else None
