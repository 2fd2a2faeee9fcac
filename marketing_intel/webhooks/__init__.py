"""Inbound platform webhooks as pure logic: verify, split into events, normalize into lake rows.

No HTTP server and no database here: the bridge (`bridge_api/`) calls `verify`, then
`split_events`, stores each `InboundEvent` in its inbox, and later `normalize`s them into the lake.
Each platform is one module of `marketing_intel.webhooks.platforms` behind the `WebhookPlatform`
protocol; `webhook_platform(name)` and `platform_names()` are the catalog.
"""

from __future__ import annotations

from marketing_intel.webhooks.events import InboundEvent, split_events
from marketing_intel.webhooks.normalization import NormalizedEvent, event_id_for, normalize
from marketing_intel.webhooks.platform import SignedRequest, WebhookPlatform
from marketing_intel.webhooks.platforms.meta import meta_challenge
from marketing_intel.webhooks.registry import platform_names, webhook_platform
from marketing_intel.webhooks.rejections import REASON_STATUS, WebhookRejected
from marketing_intel.webhooks.verification import (
    TIMESTAMP_TOLERANCE_SECONDS,
    SourceSecrets,
    verify,
)

__all__ = [
    "REASON_STATUS",
    "TIMESTAMP_TOLERANCE_SECONDS",
    "InboundEvent",
    "NormalizedEvent",
    "SignedRequest",
    "SourceSecrets",
    "WebhookPlatform",
    "WebhookRejected",
    "event_id_for",
    "meta_challenge",
    "normalize",
    "platform_names",
    "split_events",
    "verify",
    "webhook_platform",
]
