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

from marketing_intel.holidays import holiday_note

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
    """' It was on Thanksgiving Day (US), which may explain it.' when the days from `start` to
    `end` hold holidays (the phrase is `holiday_note`'s), else ''."""
    days = (start + dt.timedelta(days=offset) for offset in range((end - start).days + 1))
    note = holiday_note(days, holidays)
    if note is None:
        return ""
    subject = "It was" if start == end else "The period"
    return f" {subject} {note}, which may explain it."
