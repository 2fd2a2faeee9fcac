"""What every signing scheme is made of: an HMAC-SHA256 and a Unix timestamp as text.

Each platform's own scheme (key handling, signed bytes, encoding) is in its module under
`marketing_intel.webhooks.platforms`, next to its verifier.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """The HMAC-SHA256 digest of `message` keyed with `key`."""
    return hmac.new(key, message, hashlib.sha256).digest()


def unix_time_text(timestamp: int | None) -> str:
    """`timestamp` (Unix seconds, default now) as the decimal text signature headers carry."""
    return str(int(time.time()) if timestamp is None else timestamp)
