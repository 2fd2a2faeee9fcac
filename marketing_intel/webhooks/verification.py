"""Verifiers: does a request prove it was sent by the source's platform with the source's secret?

Each platform's `verify` (in `marketing_intel.webhooks.platforms`, where its `sign` shows what is
signed) checks the raw request bytes exactly as its platform documents, before any JSON parsing,
with `hmac.compare_digest` (`check_signature` here). Any of the source's secrets may match (the
current one and those still in their rotation grace period), and any of several signatures in one
header (Stripe, Standard Webhooks). Schemes with a signed timestamp (Stripe, Standard Webhooks,
TikTok, Klaviyo) refuse one more than `TIMESTAMP_TOLERANCE_SECONDS` away from now, in either
direction: the replay window.
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
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.platform_time import is_unix_seconds, to_datetime
from marketing_intel.webhooks.registry import webhook_platform
from marketing_intel.webhooks.rejections import WebhookRejected

TIMESTAMP_TOLERANCE_SECONDS = 300


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
    verifier = webhook_platform(platform)
    keys = tuple(secret for secret in secrets.secrets if secret)
    if not keys:
        raise WebhookRejected(
            "misconfigured_source",
            f"This {platform} source has no secret; set one with `mi sources rotate`.",
        )
    verifier.verify(HeaderView(headers), body, keys, time.time() if now is None else now)


def _matches(received: Iterable[str], expected: Iterable[str]) -> bool:
    """Whether any received signature equals any expected one, each compared in constant time."""
    wanted = [e.encode() for e in expected]
    return any(hmac.compare_digest(r.encode(), e) for r in received for e in wanted)


def check_signature(received: Iterable[str], expected: Iterable[str], platform: str) -> None:
    """Return when any received signature equals any expected one (constant-time compares);
    `bad_signature` naming `platform` otherwise."""
    if not _matches(received, expected):
        raise WebhookRejected(
            "bad_signature",
            f"The {platform} signature does not match the body with this source's secret.",
        )


def check_fresh(timestamp: str, now: float, header: str) -> None:
    """Return when `timestamp` (of `header`) is within the replay window around `now`;
    `stale_timestamp` (or `malformed_signature_header` for one that is not a time) otherwise."""
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


def _key_value_pairs(header_value: str, header: str) -> dict[str, list[str]]:
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
    """The one numeric `t=` of a `k=v,k=v` signature header; malformed otherwise."""
    stamps = pairs.get("t", [])
    if len(stamps) != 1 or not is_unix_seconds(stamps[0]):
        raise WebhookRejected(
            "malformed_signature_header", f"The {header} header needs exactly one numeric t=."
        )
    return stamps[0]


def timestamped_signatures(
    headers: HeaderView, header: str, scheme: str, now: float, missing: str
) -> tuple[str, list[str]]:
    """The fresh `t=` and the lower-cased `<scheme>=` signatures of a `t=..,<scheme>=..` header
    (Stripe, TikTok); `malformed_signature_header` (with `missing` when no signature of `scheme`
    is there) or `stale_timestamp` otherwise."""
    pairs = _key_value_pairs(headers.require(header.lower()), header)
    stamp = _one_timestamp(pairs, header)
    if scheme not in pairs:
        raise WebhookRejected("malformed_signature_header", missing)
    check_fresh(stamp, now, header)
    return stamp, [signature.lower() for signature in pairs[scheme]]
