"""Verifiers: does a request prove it was sent by the source's platform with the source's secret?

Each verifier checks the raw request bytes exactly as its platform documents (see
`marketing_intel.webhooks.signing` for what is signed), before any JSON parsing, with
`hmac.compare_digest`. Any of the source's secrets may match (the current one and those still in
their rotation grace period), and any of several signatures in one header (Stripe, Standard
Webhooks). Schemes with a signed timestamp (Stripe, Standard Webhooks, TikTok, Klaviyo) refuse one
more than `TIMESTAMP_TOLERANCE_SECONDS` away from now, in either direction: the replay window.
TikTok leaves the window to the receiver; we use the same 300 s as Stripe and Standard Webhooks.
A platform we do not know, or a source without a secret, fails closed.

Hand-written rather than calling the senders' libraries (`standardwebhooks`, `stripe`): each
verifier is a few lines over `hmac`; the libraries raise one exception class whose message is the
only clue, while the bridge answers and counts stable reason codes, so we would re-check headers
and timestamps ourselves anyway; they take one secret per call where a source has several during
rotation; and stripe's SDK is a large runtime dependency for one function (its verifier also
accepts any timestamp in the future). Instead, the tests check ours against those libraries both
ways (tests/test_webhooks_reference_libraries.py, dev dependencies only) and against the
published vectors of Standard Webhooks and Shopify (tests/test_webhooks_verification.py).
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from marketing_intel.webhooks import signing
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.json_text import parse_object
from marketing_intel.webhooks.platform_time import is_unix_seconds, to_datetime
from marketing_intel.webhooks.platforms import handler_for
from marketing_intel.webhooks.rejections import WebhookRejected

TIMESTAMP_TOLERANCE_SECONDS = 300
_CHALLENGE = re.compile(r"[A-Za-z0-9_.\-]{1,256}")


@dataclass(frozen=True)
class SourceSecrets:
    """What a source verifies with: its secrets, current first, then old ones still in their
    rotation grace period; and for Meta the verify token of the subscription handshake."""

    secrets: tuple[str, ...]
    verify_token: str | None = None


def verify(
    platform: str,
    headers: Mapping[str, str],
    body: bytes,
    secrets: SourceSecrets,
    *,
    now: float | None = None,
) -> None:
    """Return when `body` and `headers` carry a valid signature of `platform` by one of `secrets`;
    raise `WebhookRejected` otherwise. `now` (Unix seconds) is for tests."""
    verifier = handler_for(platform, _VERIFIERS)
    keys = tuple(secret for secret in secrets.secrets if secret)
    if not keys:
        raise WebhookRejected(
            "misconfigured_source",
            f"This {platform} source has no secret; set one with `mi sources rotate`.",
        )
    verifier(HeaderView(headers), body, keys, time.time() if now is None else now)


def meta_challenge(query: Mapping[str, str], secrets: SourceSecrets) -> str:
    """The `hub.challenge` to echo (as text/plain) when Meta's subscription handshake carries
    `hub.mode=subscribe` and the source's verify token; raise `WebhookRejected` otherwise."""
    if not secrets.verify_token:
        raise WebhookRejected(
            "misconfigured_source",
            "This Meta source has no verify token; add the source again with --verify-token.",
        )
    if query.get("hub.mode") != "subscribe":
        raise WebhookRejected("malformed_handshake", "Expected hub.mode=subscribe.")
    challenge = query.get("hub.challenge") or ""
    if not _CHALLENGE.fullmatch(challenge):
        raise WebhookRejected(
            "malformed_handshake", "hub.challenge is missing or not a plain token of 1-256 chars."
        )
    token = query.get("hub.verify_token") or ""
    if not hmac.compare_digest(token.encode(), secrets.verify_token.encode()):
        raise WebhookRejected("bad_verify_token", "hub.verify_token does not match this source.")
    return challenge


def _matches(received: Iterable[str], expected: Iterable[str]) -> bool:
    """Whether any received signature equals any expected one, each compared in constant time."""
    wanted = [e.encode() for e in expected]
    return any(hmac.compare_digest(r.encode(), e) for r in received for e in wanted)


def _check(received: Iterable[str], expected: Iterable[str], platform: str) -> None:
    if not _matches(received, expected):
        raise WebhookRejected(
            "bad_signature",
            f"The {platform} signature does not match the body with this source's secret.",
        )


def _check_fresh(timestamp: str, now: float, header: str) -> None:
    stamp = to_datetime(timestamp)
    if stamp is None:
        raise WebhookRejected(
            "malformed_signature_header", f"The {header} timestamp is not a time."
        )
    if abs(now - stamp.timestamp()) > TIMESTAMP_TOLERANCE_SECONDS:
        raise WebhookRejected(
            "stale_timestamp",
            f"The {header} timestamp is more than {TIMESTAMP_TOLERANCE_SECONDS} s from now "
            "(a replay, or a clock out of sync).",
        )


def _pairs(header_value: str, header: str) -> dict[str, list[str]]:
    """`k=v,k=v` pairs (Stripe, TikTok) grouped by key; malformed when a part has no `=`."""
    pairs: dict[str, list[str]] = {}
    for part in header_value.split(","):
        key, equals, value = part.strip().partition("=")
        if not equals or not key or not value:
            raise WebhookRejected(
                "malformed_signature_header", f"The {header} header is not a list of key=value."
            )
        pairs.setdefault(key, []).append(value)
    return pairs


def _one_timestamp(pairs: dict[str, list[str]], header: str) -> str:
    stamps = pairs.get("t", [])
    if len(stamps) != 1 or not is_unix_seconds(stamps[0]):
        raise WebhookRejected(
            "malformed_signature_header", f"The {header} header needs exactly one numeric t=."
        )
    return stamps[0]


def _verify_shopify(headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
    received = headers.require("x-shopify-hmac-sha256")
    _check([received], (signing.shopify_signature(k, body) for k in keys), "Shopify")


def _verify_meta(headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
    received = headers.require("x-hub-signature-256")
    if not received.startswith("sha256="):
        raise WebhookRejected(
            "malformed_signature_header", "X-Hub-Signature-256 must read sha256=<hex>."
        )
    hex_part = received.removeprefix("sha256=").lower()
    _check([f"sha256={hex_part}"], (signing.meta_signature(k, body) for k in keys), "Meta")


def _verify_google_ads(headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
    # Google signs nothing: the shared key travels inside the JSON body.
    received = parse_object(body).get("google_key")
    if not isinstance(received, str) or not received:
        raise WebhookRejected("missing_signature", "The lead's google_key field is missing.")
    _check([received], keys, "Google Ads google_key")


def _verify_tiktok(headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
    pairs = _pairs(headers.require("tiktok-signature"), "TikTok-Signature")
    stamp = _one_timestamp(pairs, "TikTok-Signature")
    if "s" not in pairs:
        raise WebhookRejected("malformed_signature_header", "TikTok-Signature has no s=.")
    _check_fresh(stamp, now, "TikTok-Signature")
    received = [s.lower() for s in pairs["s"]]
    _check(received, (signing.tiktok_signature(k, stamp, body) for k in keys), "TikTok")


def _verify_klaviyo(headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
    received = headers.require("klaviyo-signature").lower()
    stamp = headers.require("klaviyo-timestamp")
    webhook_id = headers.require("klaviyo-webhook-id")
    _check_fresh(stamp, now, "Klaviyo-Timestamp")
    _check([received], (signing.klaviyo_signature(k, stamp, body) for k in keys), "Klaviyo")
    # Signed, but the body must also name the webhook the header names (Klaviyo's own rule).
    meta = parse_object(body).get("meta")
    body_id = meta.get("klaviyo_webhook_id") if isinstance(meta, dict) else None
    if not isinstance(body_id, str) or not hmac.compare_digest(body_id, webhook_id):
        raise WebhookRejected(
            "webhook_id_mismatch",
            "meta.klaviyo_webhook_id in the body differs from the Klaviyo-Webhook-Id header.",
        )


def _verify_stripe(headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
    pairs = _pairs(headers.require("stripe-signature"), "Stripe-Signature")
    stamp = _one_timestamp(pairs, "Stripe-Signature")
    if "v1" not in pairs:
        raise WebhookRejected("malformed_signature_header", "Stripe-Signature has no v1= scheme.")
    _check_fresh(stamp, now, "Stripe-Signature")
    received = [s.lower() for s in pairs["v1"]]
    _check(received, (signing.stripe_signature(k, stamp, body) for k in keys), "Stripe")


def _verify_standard(headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
    webhook_id = headers.require("webhook-id")
    stamp = headers.require("webhook-timestamp")
    signatures = headers.require("webhook-signature").split()
    if not is_unix_seconds(stamp):
        raise WebhookRejected(
            "malformed_signature_header", "webhook-timestamp must be Unix seconds."
        )
    received = [s for s in signatures if s.startswith("v1,")]
    if not received:
        raise WebhookRejected(
            "malformed_signature_header", "webhook-signature has no v1,<base64> signature."
        )
    _check_fresh(stamp, now, "webhook-timestamp")
    try:
        expected = [signing.standard_signature(k, webhook_id, stamp, body) for k in keys]
    except ValueError:
        raise WebhookRejected(
            "misconfigured_source",
            "A secret of this Standard Webhooks source is not whsec_<base64>; rotate it.",
        ) from None
    _check(received, expected, "Standard Webhooks")


_Verifier = Callable[[HeaderView, bytes, tuple[str, ...], float], None]
_VERIFIERS: dict[str, _Verifier] = {
    "shopify": _verify_shopify,
    "meta": _verify_meta,
    "google_ads": _verify_google_ads,
    "tiktok": _verify_tiktok,
    "klaviyo": _verify_klaviyo,
    "stripe": _verify_stripe,
    "standard": _verify_standard,
}
