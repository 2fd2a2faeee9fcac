"""Standard Webhooks (any sender following standardwebhooks.com): `webhook-id`,
`webhook-timestamp` and `webhook-signature: v1,<base64> [v1,<base64> ...]`, the HMAC-SHA256 of
`id + "." + timestamp + "." + body` keyed with the base64-decoded secret after `whsec_`; 300 s.

Dedupe key: the `webhook-id` header. Event type: the sender's own `type`, lower-cased with every
run of other characters turned into `_` (`user.created` -> user_created), at most 64 characters.
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

from marketing_intel.webhooks.events import InboundEvent, event_key, single_event, topic_text
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.normalization import EventFacts
from marketing_intel.webhooks.personal_data import Pseudonymizer
from marketing_intel.webhooks.platform import SignedRequest, WebhookPlatform
from marketing_intel.webhooks.platform_time import is_unix_seconds
from marketing_intel.webhooks.rejections import WebhookRejected
from marketing_intel.webhooks.samples import iso_time, sample_body
from marketing_intel.webhooks.signing import hmac_sha256, unix_time_text
from marketing_intel.webhooks.verification import check_fresh, check_signature


def standard_key(secret: str) -> bytes:
    """Standard Webhooks: the key is the base64 text after `whsec_`, decoded (padding optional,
    as the reference library accepts it). Raises ValueError when the secret is not base64."""
    text = secret.removeprefix("whsec_").rstrip("=")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def standard_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks: `v1,` and the base64 HMAC of `id + "." + timestamp + "." + body`."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac_sha256(standard_key(secret), signed)).decode()


def sign_standard(
    body: bytes, *signing_secrets: str, webhook_id: str, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers, one `v1,` signature per secret, space-separated."""
    stamp = unix_time_text(timestamp)
    signatures = " ".join(standard_signature(s, webhook_id, stamp, body) for s in signing_secrets)
    return {"webhook-id": webhook_id, "webhook-timestamp": stamp, "webhook-signature": signatures}


class StandardWebhooks(WebhookPlatform):
    """Any sender of Standard Webhooks."""

    name = "standard"
    title = "Standard Webhooks"
    signature_headers = frozenset({"webhook-signature"})
    order = 7

    @property
    def sample_secret(self) -> str:
        """A `whsec_<base64>` secret of 32 bytes."""
        return "whsec_" + base64.b64encode(b"sample-standard-webhooks-key-32b").decode()

    def new_secret(self) -> str:
        """`whsec_` and the base64 of 24 random key bytes."""
        return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()

    def verify(self, headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
        """A fresh timestamp and any `v1,` signature equal to one by one of `keys`."""
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
        check_fresh(stamp, now, "webhook-timestamp")
        try:
            expected = [standard_signature(k, webhook_id, stamp, body) for k in keys]
        except ValueError:
            raise WebhookRejected(
                "misconfigured_source",
                "A secret of this Standard Webhooks source is not whsec_<base64>; rotate it.",
            ) from None
        check_signature(received, expected, "Standard Webhooks")

    def split(
        self, headers: HeaderView, body: bytes, document: dict[str, Any]
    ) -> list[InboundEvent]:
        """One event, keyed by the webhook id."""
        occurred = document.get("timestamp") or headers.get("webhook-timestamp")
        key = event_key(headers.get("webhook-id"), body)
        return single_event(headers, body, key, topic_text(document.get("type")), occurred)

    def read(
        self, document: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer
    ) -> EventFacts:
        """The sender's type, snake-cased."""
        name = document.get("type")
        event_type = "other"
        if isinstance(name, str) and (snake := re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")):
            event_type = snake[:64]
        return EventFacts(
            event_type=event_type,
            occurred=document.get("timestamp"),
            attributes={"type": name, "webhook_id": event.dedupe_key},
        )

    def sign(self, body: bytes, secret: str, *, timestamp: int, delivery_id: str) -> SignedRequest:
        """The three headers, with `delivery_id` as the webhook id."""
        headers = sign_standard(body, secret, webhook_id=delivery_id, timestamp=timestamp)
        return SignedRequest(headers, body)

    def sample(self, number: int, timestamp: int) -> SignedRequest:
        """An order.created event."""
        event = {
            "type": "order.created",
            "timestamp": iso_time(timestamp),
            "data": {"id": f"ord_{number}"},
        }
        return SignedRequest({"Content-Type": "application/json"}, sample_body(event))


PLATFORM = StandardWebhooks()
