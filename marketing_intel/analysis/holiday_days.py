"""Public holidays in the detectors: which days of a series are holidays, and how a finding says so.

A holiday is not an ordinary day (shops close, shoppers binge), so the detectors leave holiday
days out of every baseline, and a finding whose days include one names it: the analyst then
knows the anomaly may be the holiday itself. The holidays come from the tenant's markets
(`marketing_intel.holidays.public_holidays`), passed in as a day -> name mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np

NO_HOLIDAYS: Mapping[dt.date, str] = {}


def holiday_columns(first_day: dt.date, width: int, holidays: Mapping[dt.date, str]) -> np.ndarray:
    """A mask over `width` consecutive days from `first_day`: True on a holiday."""
    mask = np.zeros(width, dtype=bool)
    for day in holidays:
        column = (day - first_day).days
        if 0 <= column < width:
            mask[column] = True
    return mask


def holidays_within(
    holidays: Mapping[dt.date, str], start: dt.date, end: dt.date
) -> dict[dt.date, str]:
    """The holidays from `start` to `end` (inclusive), oldest first."""
    return {day: holidays[day] for day in sorted(holidays) if start <= day <= end}


def holiday_clause(holidays: Mapping[dt.date, str], start: dt.date, end: dt.date) -> str:
    """' It includes Thanksgiving Day (public holiday).' when the days hold holidays, else ''."""
    names = list(dict.fromkeys(holidays_within(holidays, start, end).values()))
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
    kind = "a public holiday" if len(names) == 1 else "public holidays"
    return f" The days include {listed} ({kind}), which may explain it."
