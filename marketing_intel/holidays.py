"""Public holidays of a tenant's markets, from the `holidays` package: the one calendar the
analysis templates (a finding on a holiday says so; baselines skip holidays) and cultural
context read.

A market is an ISO 3166-1 alpha-2 country code with an optional subdivision ("US", "US-CA",
"GB-SCT", "NL"), parsed once into a `Market`. Holiday names are in English where the package
has an English translation, and say which market they belong to ("Thanksgiving Day (US)");
two markets' holidays on one day are joined ("Christmas Day (GB, US)").

The `holidays` package costs about 0.15 s to import, so it is imported on first use only, and
each market's calendar of a year is built once per process (templates ask on every run).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from marketing_intel.errors import MarketingIntelError

if TYPE_CHECKING:
    from holidays import HolidayBase

# Country (two letters), then optionally "-" and the subdivision's code (letters and digits).
_MARKET_CODE = re.compile(r"^(?P<country>[A-Z]{2})(?:-(?P<subdivision>[A-Z0-9]{1,6}))?$")
# How a user finds the codes the calendar knows (said in every "unknown market" message).
_HOW_TO_LIST = (
    '`python -c "import holidays; print(holidays.list_supported_countries())"` lists every '
    "supported country with its subdivisions"
)


class MarketError(MarketingIntelError, ValueError):
    """A market code that is malformed or unknown to the holiday calendar; the message says
    which and how to find valid codes. A ValueError too, so pydantic validators report it."""


@dataclass(frozen=True)
class Market:
    """A market: an ISO 3166-1 alpha-2 country and optionally one of its subdivisions (the
    codes the `holidays` package uses, e.g. "CA" for California in "US-CA")."""

    country: str
    subdivision: str | None = None

    @property
    def code(self) -> str:
        """The market as written: "US", "US-CA"."""
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country

    def __str__(self) -> str:
        return self.code


@functools.lru_cache(maxsize=512)
def parse_market(code: str) -> Market:
    """The market `code` names ("us", " GB-SCT "), checked against the holiday calendar;
    a `MarketError` saying what is wrong and how to find valid codes otherwise."""
    text = code.strip().upper()
    match = _MARKET_CODE.match(text)
    if match is None:
        raise MarketError(
            f"Market {code!r} is not a market code: write an ISO 3166-1 alpha-2 country code, "
            "optionally with a subdivision after a hyphen (US, GB, NL, US-CA, GB-SCT); "
            f"{_HOW_TO_LIST}."
        )
    country = _country_calendar(match["country"])
    subdivision = match["subdivision"]
    if subdivision is not None and subdivision not in country.subdivisions:
        raise MarketError(
            f"Market {code!r}: {country.country} has no subdivision {subdivision!r}; its "
            f"subdivisions are {', '.join(country.subdivisions) or 'none'} ({_HOW_TO_LIST})."
        )
    # An alias the package accepts (UK) becomes the ISO code (GB), so one market has one name.
    return Market(country.country, subdivision)


def parse_markets(codes: str | Iterable[str | Market]) -> tuple[Market, ...]:
    """Markets from a comma-separated text ("US, GB") or a list of codes, in the order given,
    each once; a `MarketError` names the first bad code."""
    items = codes.split(",") if isinstance(codes, str) else codes
    markets: list[Market] = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        market = item if isinstance(item, Market) else parse_market(item)
        if market not in markets:
            markets.append(market)
    return tuple(markets)


def public_holidays(
    markets: Sequence[str | Market], start: dt.date, end: dt.date
) -> dict[dt.date, str]:
    """The public holidays of `markets` from `start` to `end` (inclusive), by day, each name
    saying its market ("Thanksgiving Day (US)"); holidays of several markets on one day are
    joined ("Christmas Day (GB, US); Second Day of Christmas (NL)"). No markets: no holidays."""
    if end < start:
        raise ValueError(f"the holiday range ends ({end}) before it starts ({start})")
    by_day: dict[dt.date, dict[str, list[str]]] = {}
    for market in parse_markets(markets):
        for year in range(start.year, end.year + 1):
            for day, names in _year_holidays(market, year):
                if start <= day <= end:
                    for name in names:
                        by_day.setdefault(day, {}).setdefault(name, []).append(market.code)
    return {
        day: "; ".join(f"{name} ({', '.join(codes)})" for name, codes in names.items())
        for day, names in sorted(by_day.items())
    }


def holiday_note(days: Iterable[dt.date], calendar: Mapping[dt.date, str]) -> str | None:
    """What a finding covering `days` should say about holidays, or None when none is one:
    "on Thanksgiving Day (US)" for a one-day finding; for a longer one, which of its days are
    holidays ("includes Thanksgiving Day (US) on 2026-11-26 and ...")."""
    covered = sorted(set(days))
    hits = [(day, calendar[day]) for day in covered if day in calendar]
    if not hits:
        return None
    if len(covered) == 1:
        return f"on {hits[0][1]}"
    parts = [f"{name} on {day.isoformat()}" for day, name in hits]
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return f"includes {listed}"


@functools.lru_cache(maxsize=1024)
def _year_holidays(market: Market, year: int) -> tuple[tuple[dt.date, tuple[str, ...]], ...]:
    """The market's public holidays in `year`, by day, each day's names (a day may have two)."""
    import holidays

    calendar = holidays.country_holidays(
        market.country,
        subdiv=market.subdivision,
        years=year,
        language=_english(_country_calendar(market.country)),
    )
    return tuple((day, tuple(calendar.get_list(day))) for day in sorted(calendar))


@functools.lru_cache(maxsize=256)
def _country_calendar(country: str) -> HolidayBase:
    """An empty calendar of `country` (its class, subdivisions and languages), or a
    `MarketError` when the package has no such country."""
    import holidays

    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        raise MarketError(
            f"Market {country!r} is no country the holiday calendar knows: write an ISO 3166-1 "
            f"alpha-2 code (US, GB, NL, DE, ...); {_HOW_TO_LIST}."
        ) from None


def _english(country: HolidayBase) -> str | None:
    """The package's English translation of the country's names (None: its own language)."""
    languages = country.supported_languages
    for preferred in ("en_US", "en_GB"):
        if preferred in languages:
            return preferred
    return next((language for language in languages if language.startswith("en")), None)
