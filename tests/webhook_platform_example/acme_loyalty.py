"""Acme Loyalty, a made-up platform: all a contributor writes (plus its tests) to receive a new
platform. tests/test_webhooks_platform_registry.py copies it into a directory it adds to the
platforms package's path; it is not part of the product.

Signature: `X-Acme-Signature`, the hex HMAC-SHA256 of the raw body. Dedupe key: `X-Acme-Delivery`.
"""

from __future__ import annotations

from typing import Any

from marketing_intel.webhooks.events import InboundEvent, event_key, single_event, topic_text
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.normalization import EventFacts, customer_hash, decimal_value
from marketing_intel.webhooks.personal_data import Pseudonymizer
from marketing_intel.webhooks.platform import SignedRequest, WebhookPlatform
from marketing_intel.webhooks.samples import iso_time, sample_body
from marketing_intel.webhooks.signing import hmac_sha256
from marketing_intel.webhooks.verification import check_signature


def acme_signature(secret: str, body: bytes) -> str:
    return hmac_sha256(secret.encode(), body).hex()


class AcmeLoyalty(WebhookPlatform):
    name = "acme_loyalty"
    title = "Acme Loyalty"
    signature_headers = frozenset({"x-acme-signature"})

    def verify(self, headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
        received = headers.require("x-acme-signature")
        check_signature([received], (acme_signature(k, body) for k in keys), self.title)

    def split(
        self, headers: HeaderView, body: bytes, document: dict[str, Any]
    ) -> list[InboundEvent]:
        key = event_key(headers.get("x-acme-delivery"), body)
        topic = topic_text(document.get("type"))
        return single_event(headers, body, key, topic, document.get("at"))

    def read(
        self, document: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer
    ) -> EventFacts:
        member = customer_hash(pseudonyms, self.name, document.get("member"), document.get("email"))
        return EventFacts(
            event_type="points_earned",
            occurred=document.get("at"),
            customer_key=member,
            value=decimal_value(document.get("amount")),
            currency=document.get("currency"),
            attributes={"tier": document.get("tier")},
        )

    def sign(self, body: bytes, secret: str, *, timestamp: int, delivery_id: str) -> SignedRequest:
        headers = {"X-Acme-Signature": acme_signature(secret, body), "X-Acme-Delivery": delivery_id}
        return SignedRequest(headers, body)

    def sample(self, number: int, timestamp: int) -> SignedRequest:
        member = {
            "type": "points.earned",
            "at": iso_time(timestamp),
            "member": 9007199254740993 + number,
            "email": f"member{number}@example.com",
            "amount": "12.50",
            "currency": "usd",
            "tier": "gold",
        }
        return SignedRequest({"Content-Type": "application/json"}, sample_body(member))


PLATFORM = AcmeLoyalty()
