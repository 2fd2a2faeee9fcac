"""How each platform signs a webhook, as the sender does it: used by the verifiers and by tests.

The `*_signature` functions compute the one signature string a platform puts in its header; the
`sign_*` functions return the headers a sender would add to a request (for tests and the bridge's
load generator). All are HMAC-SHA256; they differ in key handling, signed bytes and encoding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def shopify_signature(secret: str, body: bytes) -> str:
    """Shopify: base64 HMAC of the raw body keyed with the app's client secret."""
    return base64.b64encode(_hmac(secret.encode(), body)).decode()


def meta_signature(app_secret: str, body: bytes) -> str:
    """Meta: `sha256=` and the hex HMAC of the raw body keyed with the App Secret."""
    return "sha256=" + _hmac(app_secret.encode(), body).hex()


def tiktok_signature(client_secret: str, timestamp: str, body: bytes) -> str:
    """TikTok: hex HMAC of `timestamp + "." + body` keyed with the client secret."""
    return _hmac(client_secret.encode(), timestamp.encode() + b"." + body).hex()


def klaviyo_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Klaviyo: hex HMAC of the body bytes followed by the timestamp header string, no separator."""
    return _hmac(secret.encode(), body + timestamp.encode()).hex()


def stripe_signature(endpoint_secret: str, timestamp: str, body: bytes) -> str:
    """Stripe: hex HMAC of `timestamp + "." + body` keyed with the `whsec_...` string as is."""
    return _hmac(endpoint_secret.encode(), timestamp.encode() + b"." + body).hex()


def standard_key(secret: str) -> bytes:
    """Standard Webhooks: the key is the base64 text after `whsec_`, decoded (padding optional,
    as the reference library accepts it). Raises ValueError when the secret is not base64."""
    text = secret.removeprefix("whsec_").rstrip("=")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def standard_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks: `v1,` and the base64 HMAC of `id + "." + timestamp + "." + body`."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(_hmac(standard_key(secret), signed)).decode()


def _now(timestamp: int | None) -> str:
    return str(int(time.time()) if timestamp is None else timestamp)


def sign_shopify(body: bytes, secret: str) -> dict[str, str]:
    """The signature header Shopify sends with `body`."""
    return {"X-Shopify-Hmac-Sha256": shopify_signature(secret, body)}


def sign_meta(body: bytes, app_secret: str) -> dict[str, str]:
    """The signature header Meta sends with `body`."""
    return {"X-Hub-Signature-256": meta_signature(app_secret, body)}


def sign_tiktok(body: bytes, client_secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """The `TikTok-Signature: t=..,s=..` header for `body`, signed at `timestamp` (default now)."""
    stamp = _now(timestamp)
    return {"TikTok-Signature": f"t={stamp},s={tiktok_signature(client_secret, stamp, body)}"}


def sign_klaviyo(
    body: bytes, secret: str, *, webhook_id: str, timestamp: str | None = None
) -> dict[str, str]:
    """Klaviyo's signature, timestamp and webhook id headers for `body`."""
    stamp = timestamp if timestamp is not None else _now(None)
    return {
        "Klaviyo-Signature": klaviyo_signature(secret, stamp, body),
        "Klaviyo-Timestamp": stamp,
        "Klaviyo-Webhook-Id": webhook_id,
    }


def sign_stripe(
    body: bytes, *endpoint_secrets: str, timestamp: int | None = None
) -> dict[str, str]:
    """The `Stripe-Signature: t=..,v1=..` header, one v1 per secret (as during a secret roll)."""
    stamp = _now(timestamp)
    parts = [f"t={stamp}"] + [f"v1={stripe_signature(s, stamp, body)}" for s in endpoint_secrets]
    return {"Stripe-Signature": ",".join(parts)}


def sign_standard(
    body: bytes, *secrets: str, webhook_id: str, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers, one `v1,` signature per secret, space-separated."""
    stamp = _now(timestamp)
    signatures = " ".join(standard_signature(s, webhook_id, stamp, body) for s in secrets)
    return {"webhook-id": webhook_id, "webhook-timestamp": stamp, "webhook-signature": signatures}


def google_ads_body(payload: Mapping[str, Any], google_key: str) -> bytes:
    """A Google Ads lead form body: the payload with the shared `google_key` set in it."""
    return json.dumps({**payload, "google_key": google_key}).encode()
