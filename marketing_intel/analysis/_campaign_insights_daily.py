"""Each campaign's daily series as matrices (campaign x day), the input of the day-anomaly and
level-shift detectors of campaign insights."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from marketing_intel.analysis._campaign_insights_kpis import CampaignKey
from marketing_intel.analysis.holiday_days import holiday_columns

SERIES_NAMES = ("spend", "clicks", "conversions", "revenue")


@dataclass(frozen=True)
class DailyCampaigns:
    """Each campaign's daily series as rows of matrices (campaign x day from `first_day`)."""

    keys: list[CampaignKey]
    first_day: dt.date
    series: dict[str, np.ndarray]  # name -> campaigns x days, NaN where a day has no value

    @classmethod
    def from_table(cls, table: pa.Table) -> DailyCampaigns:
        """From `daily_campaign.sql` rows (platform, campaign_id, date and SERIES_NAMES)."""
        platforms = table.column("platform").to_pylist()
        campaign_ids = table.column("campaign_id").to_pylist()
        keys = sorted(set(zip(platforms, campaign_ids, strict=True)))
        index = {key: row for row, key in enumerate(keys)}
        rows = np.fromiter(
            (index[key] for key in zip(platforms, campaign_ids, strict=True)), int, len(platforms)
        )
        days = table.column("date").cast(pa.int32()).to_numpy()  # days since 1970-01-01
        first = int(days.min()) if days.size else 0
        columns = days - first
        width = int(columns.max()) + 1 if days.size else 0
        series = {}
        for name in SERIES_NAMES:
            matrix = np.full((len(keys), width), np.nan)
            matrix[rows, columns] = _floats(table.column(name))
            series[name] = matrix
        return cls(keys, dt.date(1970, 1, 1) + dt.timedelta(days=first), series)

    @property
    def width(self) -> int:
        """How many days the matrices span."""
        return self.series["spend"].shape[1]

    def column(self, day: dt.date) -> int:
        """The column of `day` (may lie outside the matrices)."""
        return (day - self.first_day).days

    def day(self, column: int) -> dt.date:
        """The day of `column`."""
        return self.first_day + dt.timedelta(days=int(column))

    def days(self) -> list[dt.date]:
        """Every day the matrices span, oldest first."""
        return [self.day(column) for column in range(self.width)]

    def holidays(self, holidays: Mapping[dt.date, str]) -> np.ndarray:
        """A column mask: True on a holiday."""
        return holiday_columns(self.first_day, self.width, holidays)

    def value_per_conversion(self, row: int, before_column: int) -> float | None:
        """The campaign's revenue per conversion before `before_column` (None without any)."""
        conversions = np.nansum(self.series["conversions"][row, :before_column])
        revenue = np.nansum(self.series["revenue"][row, :before_column])
        return float(revenue / conversions) if conversions > 0 else None


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as float64, NULL as NaN (NUMERIC arrives as decimal)."""
    return column.cast(pa.float64()).to_numpy(zero_copy_only=False)
