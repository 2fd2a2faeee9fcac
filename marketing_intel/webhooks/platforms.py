"""The platforms whose webhooks we receive, by the name used in URLs and the lake."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from marketing_intel.webhooks.rejections import WebhookRejected

PLATFORMS: tuple[str, ...] = (
    "shopify",
    "meta",
    "google_ads",
    "tiktok",
    "klaviyo",
    "stripe",
    "standard",
)

_Handler = TypeVar("_Handler")


def handler_for(platform: str, handlers: Mapping[str, _Handler]) -> _Handler:
    """The platform's entry of `handlers`; `unknown_platform` (404) for a platform we lack."""
    handler = handlers.get(platform)
    if handler is None:
        raise WebhookRejected(
            "unknown_platform", f"Unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}."
        )
    return handler
