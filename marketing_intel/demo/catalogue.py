"""Event types, webhook topics and attribute vocabularies of the six demo platforms."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import cache

import numpy as np

from marketing_intel.demo.spec import PLATFORMS


@dataclass(frozen=True)
class EventType:
    """One kind of event a platform sends, with its share of that platform's events."""

    platform: str
    name: str
    share: float
    topic: str  # the webhook topic / API object the raw delivery came as
    median_value: float | None  # USD; None for events without money
    has_customer: bool


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("meta", "click", 0.80, "ads_insights.click", None, False),
    EventType("meta", "lead", 0.12, "leadgen", None, True),
    EventType("meta", "purchase", 0.08, "conversions_api.purchase", 70.0, True),
    EventType("google_ads", "click", 0.82, "click_view", None, False),
    EventType("google_ads", "lead", 0.10, "lead_form_submission", None, True),
    EventType("google_ads", "purchase", 0.08, "conversion_upload.purchase", 75.0, True),
    EventType("tiktok", "click", 0.85, "ad.click", None, False),
    EventType("tiktok", "lead", 0.09, "lead.submit", None, True),
    EventType("tiktok", "purchase", 0.06, "event.complete_payment", 55.0, True),
    EventType("shopify", "checkout_started", 0.55, "checkouts/create", 70.0, True),
    EventType("shopify", "order_created", 0.40, "orders/create", 65.0, True),
    EventType("shopify", "refund_created", 0.05, "refunds/create", 45.0, True),
    EventType("stripe", "payment_succeeded", 0.93, "payment_intent.succeeded", 65.0, True),
    EventType("stripe", "payment_failed", 0.07, "payment_intent.payment_failed", 60.0, True),
    EventType("klaviyo", "email_opened", 0.80, "email.opened", None, True),
    EventType("klaviyo", "email_clicked", 0.20, "email.clicked", None, True),
)

_COUNTRIES = ("US", "US", "US", "CA", "GB", "AU")
_DEVICES = ("mobile", "mobile", "desktop", "tablet")
_ATTRIBUTE_VOCABULARY: dict[str, dict[str, tuple[str, ...]]] = {
    "meta": {"placement": ("feed", "stories", "reels"), "device": _DEVICES, "country": _COUNTRIES},
    "google_ads": {
        "network": ("search", "shopping", "youtube", "display"),
        "device": _DEVICES,
        "country": _COUNTRIES,
    },
    "tiktok": {"placement": ("for_you", "search"), "device": _DEVICES, "country": _COUNTRIES},
    "shopify": {
        "source_name": ("web", "web", "shopify_mobile_app", "pos"),
        "discounted": ("true", "false", "false"),
        "country": _COUNTRIES,
    },
    "stripe": {
        "payment_method": ("card", "card", "apple_pay", "google_pay", "link"),
        "card_brand": ("visa", "visa", "mastercard", "amex"),
    },
    "klaviyo": {
        "message": ("campaign", "flow:welcome", "flow:abandoned_cart", "flow:winback"),
        "device": _DEVICES,
    },
}


@cache
def type_table() -> tuple[np.ndarray, np.ndarray]:
    """Per platform, the index of its first event type and the cumulative shares (padded 1.0)."""
    first = np.array(
        [next(i for i, t in enumerate(EVENT_TYPES) if t.platform == p) for p in PLATFORMS]
    )
    width = max(sum(t.platform == p for t in EVENT_TYPES) for p in PLATFORMS)
    cumulative = np.ones((len(PLATFORMS), width))
    for row, platform in enumerate(PLATFORMS):
        shares = [t.share for t in EVENT_TYPES if t.platform == platform]
        cumulative[row, : len(shares)] = np.cumsum(shares)
        cumulative[row, len(shares) - 1 :] = np.inf  # the last type takes all remaining draws
    return first, cumulative


@cache
def attribute_documents() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every attributes JSON text per platform; returns (texts, first index, count) per platform.

    Events pick one at random: a handful of distinct small documents keeps 1M rows cheap.
    """
    texts: list[str] = []
    first: list[int] = []
    count: list[int] = []
    for platform in PLATFORMS:
        vocabulary = _ATTRIBUTE_VOCABULARY[platform]
        first.append(len(texts))
        combos = list(itertools.product(*vocabulary.values()))
        for combo in combos:
            doc = {k: _json_value(v) for k, v in zip(vocabulary, combo, strict=True)}
            texts.append(json.dumps(doc, sort_keys=True))
        count.append(len(combos))
    return texts, np.array(first), np.array(count)


def _json_value(text: str) -> str | bool:
    return {"true": True, "false": False}.get(text, text)
