"""Request headers looked up case-insensitively, with duplicates of a header we rely on refused.

HTTP header names are case-insensitive and HTTP/2 lower-cases them, so every lookup is on the
lower-cased name. A header the verifier or the dedupe key depends on must appear exactly once: two
`Stripe-Signature` headers (or `X-Shopify-Hmac-Sha256` and `x-shopify-hmac-sha256` side by side)
are ambiguous, and an attacker could hope a proxy and we pick different ones, so we refuse with
`duplicate_header` (400) instead of choosing. Pass Starlette's `request.headers` as is: its
`items()` yields every header line, duplicates included, so they are seen here. Other duplicated
headers are kept once (the first) in the stored copy.
"""

from __future__ import annotations

from collections.abc import Mapping

from marketing_intel.webhooks.registry import signature_header_names
from marketing_intel.webhooks.rejections import WebhookRejected

# Headers never stored: credentials, cookies and client IP addresses (personal data), and every
# platform's signature headers (`WebhookPlatform.signature_headers`).
_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-forwarded-for",
        "x-real-ip",
        "forwarded",
        "true-client-ip",
        "cf-connecting-ip",
        "x-client-ip",
    }
)
_SECRET_WORDS = ("signature", "secret", "token", "password", "api-key")


class HeaderView:
    """The headers of one request, by lower-cased name, each with every value it was sent with."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in headers.items():
            self._values.setdefault(name.lower(), []).append(value)

    def get(self, name: str) -> str | None:
        """The one value of header `name`, None when absent; `duplicate_header` when repeated."""
        values = self._values.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise WebhookRejected(
                "duplicate_header",
                f"The {name} header was sent {len(values)} times; send it exactly once.",
            )
        return values[0]

    def require(self, name: str, reason: str = "missing_signature") -> str:
        """The one value of header `name`; rejected with `reason` when absent or empty."""
        value = self.get(name)
        if value is None or not value.strip():
            raise WebhookRejected(reason, f"The {name} header is missing; the sender must sign.")
        return value.strip()

    def storable(self) -> dict[str, str]:
        """Lower-cased headers fit to store: no signature, credential, cookie or client IP."""
        signatures = signature_header_names()
        return {
            name: values[0]
            for name, values in self._values.items()
            if name not in _SECRET_HEADERS
            and name not in signatures
            and not any(word in name for word in _SECRET_WORDS)
        }
