"""What to generate (`DemoSpec`) and the fixed catalogue of demo platforms."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

EPOCH = datetime.date(1970, 1, 1)
MICROS_PER_DAY = 86_400_000_000
MICROS_PER_HOUR = 3_600_000_000

# Ad platforms carry campaigns and audience segments; the commerce/email ones only send events.
AD_PLATFORMS: tuple[str, ...] = ("meta", "google_ads", "tiktok")
PLATFORMS: tuple[str, ...] = (*AD_PLATFORMS, "shopify", "stripe", "klaviyo")

# Largest batch `generate` yields; big enough to amortise per-batch cost, small enough for memory.
MAX_BATCH_ROWS = 200_000


@dataclass(frozen=True)
class DemoSpec:
    """Size and seed of a demo data set.

    Tenants are named ``demo-1`` ... ``demo-N``; the history covers `days` days ending at `end_date`
    (inclusive). `end_date` has no default so the generator never reads the wall clock. `scale`
    multiplies the event volume (about 400 `platform_events` rows per tenant per day at 1.0).
    `campaigns` fixes the number of campaigns per tenant (default: 8-15 at random), e.g. for
    benchmarks at an advertiser's scale.
    """

    end_date: datetime.date
    tenants: int = 3
    days: int = 90
    seed: int = 7
    scale: float = 1.0
    campaigns: int | None = None

    def __post_init__(self) -> None:
        if self.tenants < 1 or self.days < 1:
            raise ValueError("DemoSpec needs at least one tenant and one day")
        if self.seed < 0:
            raise ValueError("DemoSpec.seed must be non-negative")
        if self.scale <= 0:
            raise ValueError("DemoSpec.scale must be positive")
        if self.campaigns is not None and self.campaigns < 3:
            raise ValueError("DemoSpec.campaigns must be at least 3 (one per ad platform)")

    @property
    def tenant_ids(self) -> tuple[str, ...]:
        """The tenant ids, ``demo-1`` ... ``demo-N``."""
        return tuple(f"demo-{i}" for i in range(1, self.tenants + 1))

    @property
    def start_date(self) -> datetime.date:
        """The first day of the history."""
        return self.end_date - datetime.timedelta(days=self.days - 1)

    def epoch_days(self) -> np.ndarray:
        """Days since 1970-01-01 of every day of the history, oldest first (int64)."""
        first = (self.start_date - EPOCH).days
        return np.arange(first, first + self.days, dtype=np.int64)

    def day_index(self, days_before_end: int) -> int | None:
        """Index of the day `days_before_end` days before `end_date`; None outside the history."""
        index = self.days - 1 - days_before_end
        return index if 0 <= index < self.days else None


def tenant_rng(spec: DemoSpec, tenant_index: int, stream: int, *extra: int) -> np.random.Generator:
    """An independent random stream per (seed, tenant, purpose, ...), so tables do not share draws.

    Independent streams let `expected_rows` replay only the cheap planning draws, and keep one
    table's content stable when another table's generator changes.
    """
    return np.random.default_rng([spec.seed, tenant_index, stream, *extra])
