"""Inbound platform webhooks as pure logic: verify, split into events, normalize into lake rows.

No HTTP server and no database here: the bridge (`bridge_api/`) calls `verify`, then
`split_events`, stores each `InboundEvent` in its inbox, and later `normalize`s them into the lake.
"""

from __future__ import annotations

from marketing_intel.webhooks.events import InboundEvent, split_events
from marketing_intel.webhooks.normalization import NormalizedEvent, event_id_for, normalize
from marketing_intel.webhooks.platforms import PLATFORMS
from marketing_intel.webhooks.rejections import REASON_STATUS, WebhookRejected
from marketing_intel.webhooks.verification import (
    TIMESTAMP_TOLERANCE_SECONDS,
    SourceSecrets,
    meta_challenge,
    verify,
)

__all__ = [
    "PLATFORMS",
    "REASON_STATUS",
    "TIMESTAMP_TOLERANCE_SECONDS",
    "InboundEvent",
    "NormalizedEvent",
    "SourceSecrets",
    "WebhookRejected",
    "event_id_for",
    "meta_challenge",
    "normalize",
    "split_events",
    "verify",
]
