"""`public_holidays` as the templates call it: two markets over a 120-day window, once per run.

Target: a warm call (the markets' calendars of those years already built in the process) well
under 1 ms. Baseline, measured in the same run: the `holidays` package asked directly each time
(`country_holidays(...)` for the markets and years, then the days of the window), which is what
a template would pay without our per-(market, year) cache. The cold call (the package's import
and the first calendars) is printed too: it is paid once per process.
"""

from __future__ import annotations

import datetime as dt
import time

from bench.size import sized
from bench.timing import latency_percentiles

MARKETS = ("US", "GB")
START = dt.date(2026, 9, 1)
END = START + dt.timedelta(days=119)
CALLS = sized(2_000, 50)
TARGET_MS = 1.0


def _uncached() -> dict[dt.date, list[str]]:
    """The window's holidays straight from the package, without our cache."""
    import holidays

    found: dict[dt.date, list[str]] = {}
    for market in MARKETS:
        calendar = holidays.country_holidays(
            market, years=range(START.year, END.year + 1), language="en_US"
        )
        for day, name in calendar.items():
            if START <= day <= END:
                found.setdefault(day, []).append(f"{name} ({market})")
    return found


def main() -> None:
    """Time the cold call, then warm calls and the uncached baseline (p50/p95 of many calls)."""
    started = time.perf_counter()
    from marketing_intel.holidays import public_holidays

    cold = public_holidays(MARKETS, START, END)
    cold_ms = (time.perf_counter() - started) * 1000
    warm_p50, warm_p95 = latency_percentiles(lambda _: public_holidays(MARKETS, START, END), CALLS)
    base_p50, base_p95 = latency_percentiles(lambda _: _uncached(), sized(200, 20))
    assert set(cold) == set(_uncached()), "the cached calendar and the package disagree"
    verdict = "met" if warm_p50 < TARGET_MS else "MISSED"
    print(
        f"holiday_calendar: {len(MARKETS)} markets x 120 days, {len(cold)} holidays; cold "
        f"(import + first calendars) {cold_ms:.1f} ms"
    )
    print(
        f"holiday_calendar: warm p50 {warm_p50 * 1000:.1f} us, p95 {warm_p95 * 1000:.1f} us "
        f"(target p50 < {TARGET_MS:.0f} ms, {verdict}); baseline the package uncached p50 "
        f"{base_p50:.2f} ms, p95 {base_p95:.2f} ms; ratio p50 {warm_p50 / base_p50:.4f}"
    )
