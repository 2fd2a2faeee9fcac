"""Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]`, the HMAC-SHA256 of `t + "." + body`
keyed with the `whsec_...` string as is; any v1 may match (during a secret roll); 300 s window.

Dedupe key: the event `id` (`evt_...`). Amounts are in the currency's minor units and divided by
its exponent. Test-mode events (`livemode: false`) are `test`.
Event types (type): payment_intent.created payment_started (pending), payment_intent.succeeded
payment_succeeded, payment_intent.payment_failed payment_failed (failed), payment_intent.canceled
payment_cancelled (cancelled), charge.succeeded charge_succeeded, charge.failed charge_failed
(failed), charge.refunded refund_created, charge.dispute.created dispute_created,
checkout.session.completed checkout_completed, checkout.session.expired checkout_expired
(cancelled), invoice.paid invoice_paid, invoice.payment_failed invoice_payment_failed (failed),
customer.created customer_created, customer.subscription.created subscription_created,
customer.subscription.deleted subscription_cancelled (cancelled).
"""

from __future__ import annotations

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
    status_of,
    text_value,
)
from marketing_intel.webhooks.personal_data import Pseudonymizer
from marketing_intel.webhooks.platform import SignedRequest, WebhookPlatform
from marketing_intel.webhooks.samples import sample_body
from marketing_intel.webhooks.signing import hmac_sha256, unix_time_text
from marketing_intel.webhooks.verification import check_signature, timestamped_signatures

STRIPE_TYPES = {
    "payment_intent.created": "payment_started",
    "payment_intent.succeeded": "payment_succeeded",
    "payment_intent.payment_failed": "payment_failed",
    "payment_intent.canceled": "payment_cancelled",
    "charge.succeeded": "charge_succeeded",
    "charge.failed": "charge_failed",
    "charge.refunded": "refund_created",
    "charge.dispute.created": "dispute_created",
    "checkout.session.completed": "checkout_completed",
    "checkout.session.expired": "checkout_expired",
    "invoice.paid": "invoice_paid",
    "invoice.payment_failed": "invoice_payment_failed",
    "customer.created": "customer_created",
    "customer.subscription.created": "subscription_created",
    "customer.subscription.deleted": "subscription_cancelled",
}
_TYPE_STATUS = {
    "payment_started": "pending",
    "payment_failed": "failed",
    "payment_cancelled": "cancelled",
    "charge_failed": "failed",
    "checkout_expired": "cancelled",
    "invoice_payment_failed": "failed",
    "subscription_cancelled": "cancelled",
}
# Amounts are in minor units; these currencies have none, these have three decimals.
_ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"}
    | {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
_THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
_HEADER = "Stripe-Signature"


def stripe_signature(endpoint_secret: str, timestamp: str, body: bytes) -> str:
    """Stripe: hex HMAC of `timestamp + "." + body` keyed with the `whsec_...` string as is."""
    return hmac_sha256(endpoint_secret.encode(), timestamp.encode() + b"." + body).hex()


def sign_stripe(
    body: bytes, *endpoint_secrets: str, timestamp: int | None = None
) -> dict[str, str]:
    """The `Stripe-Signature: t=..,v1=..` header, one v1 per secret (as during a secret roll)."""
    stamp = unix_time_text(timestamp)
    parts = [f"t={stamp}"] + [f"v1={stripe_signature(s, stamp, body)}" for s in endpoint_secrets]
    return {_HEADER: ",".join(parts)}


def _minor_units(amount: Any, currency: Any) -> Decimal | None:
    number = decimal_value(amount)
    if number is None or not isinstance(currency, str):
        return None
    code = currency.lower()
    exponent = 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2
    return number.scaleb(-exponent)


def _stripe_amount(event_name: str, obj: dict[str, Any]) -> Any:
    """The event's amount in minor units: what was received, refunded, totalled or paid."""
    kind = obj.get("object")
    if kind == "payment_intent":
        return obj.get("amount_received") or obj.get("amount")
    if kind == "charge":
        return obj.get("amount_refunded") if event_name == "charge.refunded" else obj.get("amount")
    if kind == "checkout.session":
        return obj.get("amount_total")
    if kind == "invoice":
        return obj.get("amount_paid") if event_name == "invoice.paid" else obj.get("amount_due")
    return None


class Stripe(WebhookPlatform):
    """Stripe's event webhooks (payments, charges, checkout, invoices, customers)."""

    name = "stripe"
    title = "Stripe"
    signature_headers = frozenset({"stripe-signature"})
    order = 6

    @property
    def sample_secret(self) -> str:
        """An endpoint secret in Stripe's `whsec_` form."""
        return "whsec_sample_stripe_endpoint_secret"

    def verify(self, headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
        """One fresh `t=` and any `v1=` equal to the HMAC of `t.body` by one of `keys`."""
        stamp, received = timestamped_signatures(
            headers, _HEADER, "v1", now, "Stripe-Signature has no v1= scheme."
        )
        check_signature(received, (stripe_signature(k, stamp, body) for k in keys), "Stripe")

    def split(
        self, headers: HeaderView, body: bytes, document: dict[str, Any]
    ) -> list[InboundEvent]:
        """One event, keyed by its id."""
        key = event_key(document.get("id"), body)
        topic = topic_text(document.get("type"))
        return single_event(headers, body, key, topic, document.get("created"))

    def read(
        self, document: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer
    ) -> EventFacts:
        """The object's amount, customer, campaign metadata and failure codes."""
        doc = document
        name = text_value(doc.get("type"))
        event_type = STRIPE_TYPES.get(name, "other")
        obj = as_object(as_object(doc.get("data")).get("object"))
        currency = obj.get("currency")
        email = (
            as_object(obj.get("customer_details")).get("email")
            or obj.get("receipt_email")
            or as_object(obj.get("billing_details")).get("email")
        )
        error = as_object(obj.get("last_payment_error"))
        return EventFacts(
            event_type=event_type,
            status=status_of(event_type, _TYPE_STATUS, doc.get("livemode") is False),
            occurred=doc.get("created"),
            campaign_id=as_object(obj.get("metadata")).get("campaign_id"),
            customer_key=customer_hash(pseudonyms, "stripe", obj.get("customer"), email),
            value=_minor_units(_stripe_amount(name, obj), currency),
            currency=currency,
            attributes={
                "type": name,
                "object": obj.get("object"),
                "object_id": id_text(obj.get("id")),
                "api_version": doc.get("api_version"),
                "failure_code": error.get("code") or obj.get("failure_code"),
                "decline_code": error.get("decline_code"),
            },
        )

    def sign(self, body: bytes, secret: str, *, timestamp: int, delivery_id: str) -> SignedRequest:
        """Stripe signs the timestamp and the body."""
        return SignedRequest(sign_stripe(body, secret, timestamp=timestamp), body)

    def sample(self, number: int, timestamp: int) -> SignedRequest:
        """A payment_intent.succeeded event."""
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
            "created": timestamp,
            "livemode": True,
            "type": "payment_intent.succeeded",
            "data": {"object": intent},
        }
        return SignedRequest({"Content-Type": "application/json"}, sample_body(event))


PLATFORM = Stripe()
