"""Signed sample requests of every platform, for tests and the bridge's load generator.

`sample_request(platform, number, secret)` is a request the platform could send: its JSON body
(each platform's `sample`, shaped like its documented samples, with a made-up customer email so
redaction is exercised) and its signed headers (its `sign`). Each `number` is a distinct event
with its own dedupe key; sending the same request twice is a duplicate delivery.
`sample_secret(platform)` is a secret of the right form for the platform (Standard Webhooks needs
`whsec_<base64>`).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from marketing_intel.webhooks.platform import SignedRequest
from marketing_intel.webhooks.registry import webhook_platform

SAMPLE_FIRST_ID = 9_007_199_254_740_993  # 2**53 + 1: any float on the way would change it


def sample_secret(platform: str) -> str:
    """A secret in the form the platform uses."""
    return webhook_platform(platform).sample_secret


def sample_request(
    platform: str, number: int, secret: str, *, timestamp: int | None = None
) -> SignedRequest:
    """Signed request number `number` of `platform`, signed at `timestamp` (default now)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    sender = webhook_platform(platform)
    unsigned = sender.sample(number, stamp)
    signed = sender.sign(unsigned.body, secret, timestamp=stamp, delivery_id=f"msg_sample{number}")
    return SignedRequest({**unsigned.headers, **signed.headers}, signed.body)


def sample_body(payload: dict[str, Any]) -> bytes:
    """A sample's JSON body, written as most senders write it (Python's default separators)."""
    return json.dumps(payload).encode()


def iso_time(timestamp: int) -> str:
    """Unix seconds as the ISO 8601 UTC text platforms put in their documents."""
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).isoformat()
