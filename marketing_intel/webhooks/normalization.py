"""Verified events into lake rows of `platform_events` and `integration_raw_data`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from marketing_intel.webhooks.events import InboundEvent


@dataclass(frozen=True)
class NormalizedEvent:
    """The two lake rows of one event: `platform_event` (a `platform_events` row) and `raw` (an
    `integration_raw_data` row, personal data hashed or dropped, no secrets)."""

    platform_event: dict[str, Any]
    raw: dict[str, Any]


def normalize(
    platform: str,
    event: InboundEvent,
    *,
    tenant_id: str,
    raw_id: str,
    received_at: dt.datetime,
    salt: bytes,
) -> NormalizedEvent:
    """The lake rows of `event` for `tenant_id`; personal data hashed with the tenant's `salt`."""
    raise NotImplementedError("normalize lands in the next commit of issue-9-webhooks")
