"""The `markets` option every template accepts, and where the `MI_MARKETS` setting fills it.

A template's `Options` inherits `MarketOptions`. A caller who gives no `markets` gets the
setting's (`effective_options`, applied once in `run_template` and in the insight cache's key),
so a report and its cache key always name the markets its holidays came from; `markets: []`
turns holiday handling off for one run although the setting names markets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from marketing_intel.holidays import parse_markets, public_holidays

MARKETS_OPTION = "markets"


class MarketOptions(BaseModel):
    """The tenant's markets, whose public holidays the template takes into account."""

    markets: tuple[str, ...] = Field(
        (),
        description="The tenant's markets as ISO 3166-1 alpha-2 codes with an optional "
        'subdivision ("US", "US-CA", "GB-SCT"), a list or comma-separated text; their public '
        "holidays are marked on findings and kept out of baselines. Default: MI_MARKETS.",
    )

    @field_validator("markets", mode="before")
    @classmethod
    def _known_markets(cls, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, str | list | tuple):
            raise ValueError(
                f"markets must be a list of market codes or comma-separated text like "
                f'"US, GB", not {type(value).__name__}'
            )
        return tuple(market.code for market in parse_markets(value))

    def holidays(self, start: dt.date, end: dt.date) -> dict[dt.date, str]:
        """The public holidays of `markets` from `start` to `end`, by day (none without
        markets): what a detector's `holidays` parameter takes."""
        return public_holidays(self.markets, start, end)


def effective_options(
    options_model: type[BaseModel], options: Mapping[str, Any] | None, default_markets: str
) -> dict[str, Any]:
    """`options` with `markets` as the template will use them: the caller's (normalized to
    codes, so "us, gb" and ["US", "GB"] are one cache key) or else `default_markets` (the
    `MI_MARKETS` text). Left out when there are none, so reports without holiday handling keep
    their keys; untouched for a template whose options have no `markets`."""
    given = dict(options or {})
    if MARKETS_OPTION not in options_model.model_fields:
        return given
    chosen = given.pop(MARKETS_OPTION, None)
    try:
        markets = MarketOptions(markets=default_markets if chosen is None else chosen).markets
    except ValidationError:
        # Left for the template's options model, which says what is wrong with it as it says
        # what is wrong with any other option.
        return {**given, MARKETS_OPTION: chosen}
    return {**given, MARKETS_OPTION: list(markets)} if markets else given
