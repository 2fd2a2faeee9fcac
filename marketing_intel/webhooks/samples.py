"""Signed sample requests of every platform, for tests and the bridge's load generator.

`sample_request(platform, number, secret)` is a request the platform could send: its JSON body
(shaped like the platform's documented samples, with a made-up customer email so redaction is
exercised) and its signed headers. Each `number` is a distinct event with its own dedupe key;
sending the same request twice is a duplicate delivery. `sample_secret(platform)` is a secret of
the right form for the platform (Standard Webhooks needs `whsec_<base64>`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marketing_intel.webhooks import signing
from marketing_intel.webhooks.platforms import handler_for

_FIRST_ID = 9_007_199_254_740_993  # 2**53 + 1: any float on the way would change it
KLAVIYO_SAMPLE_WEBHOOK_ID = "01JSAMPLEWEBHOOK0000000000"


@dataclass(frozen=True)
class SampleRequest:
    """A request as the platform would send it: headers (signature included) and raw body."""

    headers: dict[str, str]
    body: bytes


def sample_secret(platform: str) -> str:
    """A secret in the form the platform uses."""
    if platform == "standard":
        return "whsec_" + base64.b64encode(b"sample-standard-webhooks-key-32b").decode()
    if platform == "stripe":
        return "whsec_sample_stripe_endpoint_secret"
    return f"sample-{platform}-secret"


def sample_request(
    platform: str, number: int, secret: str, *, timestamp: int | None = None
) -> SampleRequest:
    """Signed request number `number` of `platform`, signed at `timestamp` (default now)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    build = handler_for(platform, _BUILDERS)
    headers, payload = build(number, stamp)
    if platform == "google_ads":
        return SampleRequest(headers, signing.google_ads_body(payload, secret))
    body = json.dumps(payload).encode()
    signed: dict[str, str]
    if platform == "shopify":
        signed = signing.sign_shopify(body, secret)
    elif platform == "meta":
        signed = signing.sign_meta(body, secret)
    elif platform == "tiktok":
        signed = signing.sign_tiktok(body, secret, timestamp=stamp)
    elif platform == "klaviyo":
        signed = signing.sign_klaviyo(
            body, secret, webhook_id=KLAVIYO_SAMPLE_WEBHOOK_ID, timestamp=str(stamp)
        )
    elif platform == "stripe":
        signed = signing.sign_stripe(body, secret, timestamp=stamp)
    else:
        signed = signing.sign_standard(
            body, secret, webhook_id=f"msg_sample{number}", timestamp=stamp
        )
    return SampleRequest({**headers, **signed}, body)


def _iso(stamp: int) -> str:
    return dt.datetime.fromtimestamp(stamp, tz=dt.UTC).isoformat()


_Built = tuple[dict[str, str], dict[str, Any]]


def _shopify(number: int, stamp: int) -> _Built:
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": f"sample-delivery-{number}",
        "X-Shopify-Shop-Domain": "sample-shop.myshopify.com",
    }
    order = {
        "id": _FIRST_ID + number,
        "created_at": _iso(stamp),
        "total_price": "19.99",
        "currency": "USD",
        "financial_status": "paid",
        "email": f"buyer{number}@example.com",
        "customer": {"id": _FIRST_ID + number, "first_name": "Sample"},
        "test": False,
    }
    return headers, order


def _meta(number: int, stamp: int) -> _Built:
    change = {
        "field": "leadgen",
        "value": {
            "leadgen_id": _FIRST_ID + number,
            "form_id": 987654321012345,
            "page_id": 112233445566778,
            "ad_id": 120210000000000001,
            "adgroup_id": 120210000000000002,
            "created_time": stamp,
        },
    }
    entry = {"id": 112233445566778, "time": stamp, "changes": [change]}
    return {"Content-Type": "application/json"}, {"object": "page", "entry": [entry]}


def _google_ads(number: int, stamp: int) -> _Built:
    lead = {
        "lead_id": f"sample-lead-{number}",
        "api_version": "1.0",
        "form_id": 40000000001,
        "campaign_id": 21234567890,
        "adgroup_id": 20000000002,
        "creative_id": 30000000003,
        "is_test": False,
        "user_column_data": [
            {
                "column_id": "EMAIL",
                "column_name": "User Email",
                "string_value": f"lead{number}@example.com",
            }
        ],
    }
    return {"Content-Type": "application/json"}, lead


def _tiktok(number: int, stamp: int) -> _Built:
    event = {
        "client_key": "sbawsample0000000",
        "event": "video.publish.complete",
        "create_time": stamp,
        "user_openid": f"act.sample{number}",
        "content": json.dumps({"share_id": f"video.{_FIRST_ID + number}.sample"}),
    }
    return {"Content-Type": "application/json"}, event


def _klaviyo(number: int, stamp: int) -> _Built:
    item = {
        "topic": "event:klaviyo.opened_email",
        "external_id": f"sample-event-{number}",
        "payload": {
            "type": "event",
            "id": f"sample-event-{number}",
            "attributes": {"timestamp": stamp, "event_properties": {"$message": "01JSAMPLE"}},
            "relationships": {"profile": {"data": {"type": "profile", "id": f"01JP{number}"}}},
        },
    }
    meta = {"klaviyo_account_id": "Sample1", "klaviyo_webhook_id": KLAVIYO_SAMPLE_WEBHOOK_ID}
    return {"Content-Type": "application/json"}, {"data": [item], "meta": meta}


def _stripe(number: int, stamp: int) -> _Built:
    intent = {
        "id": f"pi_sample{number}",
        "object": "payment_intent",
        "amount": 1999,
        "amount_received": 1999,
        "currency": "usd",
        "customer": f"cus_sample{number}",
        "receipt_email": f"payer{number}@example.com",
        "status": "succeeded",
    }
    event = {
        "id": f"evt_sample{number}",
        "object": "event",
        "created": stamp,
        "livemode": True,
        "type": "payment_intent.succeeded",
        "data": {"object": intent},
    }
    return {"Content-Type": "application/json"}, event


def _standard(number: int, stamp: int) -> _Built:
    event = {"type": "order.created", "timestamp": _iso(stamp), "data": {"id": f"ord_{number}"}}
    return {"Content-Type": "application/json"}, event


_BUILDERS: dict[str, Callable[[int, int], _Built]] = {
    "shopify": _shopify,
    "meta": _meta,
    "google_ads": _google_ads,
    "tiktok": _tiktok,
    "klaviyo": _klaviyo,
    "stripe": _stripe,
    "standard": _standard,
}
