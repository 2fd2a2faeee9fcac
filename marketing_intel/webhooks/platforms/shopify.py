"""Shopify: `X-Shopify-Hmac-Sha256`, the base64 HMAC-SHA256 of the raw body keyed with the app's
client secret; no timestamp is signed.

Dedupe key: `X-Shopify-Webhook-Id` (one per delivery, reused by Shopify's retries).
Event types (X-Shopify-Topic): orders/create order_created, orders/paid order_paid,
orders/updated order_updated, orders/fulfilled order_fulfilled, orders/cancelled order_cancelled,
refunds/create refund_created, checkouts/create checkout_started, checkouts/update
checkout_updated, carts/create cart_created, carts/update cart_updated, customers/create
customer_created, app/uninstalled app_uninstalled. Test orders are `test`, cancelled ones
`cancelled`, pending payments `pending`.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from marketing_intel.webhooks.events import InboundEvent, event_key, single_event, topic_text
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.json_text import as_object
from marketing_intel.webhooks.normalization import (
    EventFacts,
    customer_hash,
    decimal_value,
    id_text,
    list_length,
    objects_in,
    status_of,
)
from marketing_intel.webhooks.personal_data import Pseudonymizer
from marketing_intel.webhooks.platform import SignedRequest, WebhookPlatform
from marketing_intel.webhooks.samples import SAMPLE_FIRST_ID, iso_time, sample_body
from marketing_intel.webhooks.signing import hmac_sha256
from marketing_intel.webhooks.verification import check_signature

SHOPIFY_TYPES = {
    "orders/create": "order_created",
    "orders/paid": "order_paid",
    "orders/updated": "order_updated",
    "orders/fulfilled": "order_fulfilled",
    "orders/cancelled": "order_cancelled",
    "refunds/create": "refund_created",
    "checkouts/create": "checkout_started",
    "checkouts/update": "checkout_updated",
    "carts/create": "cart_created",
    "carts/update": "cart_updated",
    "customers/create": "customer_created",
    "app/uninstalled": "app_uninstalled",
}
_TYPE_STATUS = {"order_cancelled": "cancelled"}


def shopify_signature(secret: str, body: bytes) -> str:
    """Shopify: base64 HMAC of the raw body keyed with the app's client secret."""
    return base64.b64encode(hmac_sha256(secret.encode(), body)).decode()


def sign_shopify(body: bytes, secret: str) -> dict[str, str]:
    """The signature header Shopify sends with `body`."""
    return {"X-Shopify-Hmac-Sha256": shopify_signature(secret, body)}


class Shopify(WebhookPlatform):
    """Shopify's webhooks (orders, refunds, checkouts, carts, customers, app)."""

    name = "shopify"
    title = "Shopify"
    signature_headers = frozenset({"x-shopify-hmac-sha256"})
    order = 1

    def verify(self, headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
        """The header must equal the body's HMAC by one of `keys` (old and new during rotation)."""
        received = headers.require("x-shopify-hmac-sha256")
        check_signature([received], (shopify_signature(k, body) for k in keys), "Shopify")

    def split(
        self, headers: HeaderView, body: bytes, document: dict[str, Any]
    ) -> list[InboundEvent]:
        """One event per request, keyed by the delivery's webhook id."""
        key = event_key(headers.get("x-shopify-webhook-id"), body)
        occurred = (
            headers.get("x-shopify-triggered-at")
            or document.get("updated_at")
            or document.get("created_at")
        )
        return single_event(
            headers, body, key, topic_text(headers.get("x-shopify-topic")), occurred
        )

    def read(
        self, document: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer
    ) -> EventFacts:
        """The order's (or refund's) total, status and customer."""
        doc = document
        event_type = SHOPIFY_TYPES.get(event.topic, "other")
        status = status_of(event_type, _TYPE_STATUS, doc.get("test") is True)
        if status == "ok" and doc.get("cancelled_at"):
            status = "cancelled"
        elif status == "ok" and doc.get("financial_status") == "pending":
            status = "pending"
        value, currency = decimal_value(doc.get("total_price")), doc.get("currency")
        transactions = objects_in(doc.get("transactions"))
        if event_type == "refund_created" and transactions:
            amounts = [decimal_value(t.get("amount")) or Decimal(0) for t in transactions]
            value, currency = sum(amounts, Decimal(0)), transactions[0].get("currency") or currency
        customer = as_object(doc.get("customer"))
        email = doc.get("email") or doc.get("contact_email") or customer.get("email")
        headers = event.headers
        return EventFacts(
            event_type=event_type,
            status=status,
            occurred=doc.get("created_at") if event_type.endswith("_created") else None,
            customer_key=customer_hash(pseudonyms, "shopify", customer.get("id"), email),
            value=value,
            currency=currency,
            attributes={
                "topic": event.topic,
                "object_id": id_text(doc.get("id")),
                "order_id": id_text(doc.get("order_id")),
                "order_number": id_text(doc.get("order_number")),
                "source_name": doc.get("source_name"),
                "financial_status": doc.get("financial_status"),
                "fulfillment_status": doc.get("fulfillment_status"),
                "line_items": list_length(doc.get("line_items")),
                "country": as_object(doc.get("shipping_address")).get("country_code"),
                "shop_domain": headers.get("x-shopify-shop-domain"),
                "shopify_event_id": headers.get("x-shopify-event-id"),
            },
        )

    def sign(self, body: bytes, secret: str, *, timestamp: int, delivery_id: str) -> SignedRequest:
        """Shopify signs the body only."""
        return SignedRequest(sign_shopify(body, secret), body)

    def sample(self, number: int, timestamp: int) -> SignedRequest:
        """An orders/create delivery."""
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": f"sample-delivery-{number}",
            "X-Shopify-Shop-Domain": "sample-shop.myshopify.com",
        }
        order = {
            "id": SAMPLE_FIRST_ID + number,
            "created_at": iso_time(timestamp),
            "total_price": "19.99",
            "currency": "USD",
            "financial_status": "paid",
            "email": f"buyer{number}@example.com",
            "customer": {"id": SAMPLE_FIRST_ID + number, "first_name": "Sample"},
            "test": False,
        }
        return SignedRequest(headers, sample_body(order))


PLATFORM = Shopify()
