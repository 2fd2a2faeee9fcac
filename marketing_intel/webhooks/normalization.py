"""Verified events into lake rows: one `platform_events` row and one `integration_raw_data` row.

Event types (`platform_events.event_type`), per platform, from the platform's topic:
- shopify (X-Shopify-Topic): orders/create order_created, orders/paid order_paid, orders/updated
  order_updated, orders/fulfilled order_fulfilled, orders/cancelled order_cancelled, refunds/create
  refund_created, checkouts/create checkout_started, checkouts/update checkout_updated, carts/create
  cart_created, carts/update cart_updated, customers/create customer_created, app/uninstalled
  app_uninstalled.
- meta (change field): leadgen lead, feed page_feed, comments comment, mentions mention, messages
  message, with_issues_ad_objects ad_issue, in_process_ad_objects ad_processing.
- google_ads: every lead form submission is lead.
- tiktok (event): video.publish.complete video_published, video.publish.failed
  video_publish_failed, video.upload.failed video_upload_failed, authorization.removed
  authorization_removed, portability.download.ready data_export_ready.
- klaviyo (topic `event:klaviyo.<metric>`): opened_email email_opened, clicked_email
  email_clicked, received_email email_delivered, bounced_email email_bounced, dropped_email
  email_dropped, marked_email_as_spam email_marked_spam, unsubscribed_from_email_marketing
  unsubscribed, subscribed_to_email_marketing subscribed, sent_sms sms_sent, received_sms
  sms_delivered, clicked_sms sms_clicked, failed_to_deliver_sms sms_failed.
- stripe (type): see `STRIPE_TYPES` (payment_intent.succeeded payment_succeeded, ...).
- standard: the sender's own `type`, lower-cased with every run of other characters turned into
  `_` (`user.created` -> user_created), at most 64 characters.
Any other topic is `other` (the topic itself stays in `integration_raw_data.topic`).

Status (`platform_events.status`): ok; failed (a failure event: payment or delivery failed, an ad
with issues); pending (not settled yet: a pending order, a payment intent just created, an ad in
review); cancelled (cancelled order, cancelled subscription, expired checkout); test (Shopify test
orders, Stripe test mode, Google's "Send test data" leads), so analyses can leave them out.

`occurred_at` is when the platform says the event happened (Shopify created_at for creations,
Meta created_time or entry time, Stripe created, TikTok create_time, Klaviyo's event datetime,
Google's lead_submit_time, the Standard payload's timestamp), else the delivery's trigger time
(Shopify X-Shopify-Triggered-At, the webhook-timestamp header), else `received_at`.

Ids stay exact: platform ids are written as decimal strings, never through a float. Money is a
Decimal in the currency's major unit (Stripe's minor units are divided by the currency's exponent);
an amount NUMERIC cannot hold is left out rather than making the event unwritable.
`customer_key` is the tenant-salted hash of the platform's customer id (or of the email when only an
email is known); `attributes` holds a few non-personal fields per platform, and
`"text_replaced": true` when a lone surrogate or NUL in the event was replaced by U+FFFD.
`event_id` is a hash of tenant, platform and dedupe key, so a retried flush writes the same id
and the lake skips it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from marketing_intel.lake.parameters import coerce_scalar
from marketing_intel.webhooks.events import InboundEvent, sha256_hex
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.json_text import as_object, dumps, parse_object
from marketing_intel.webhooks.personal_data import Pseudonymizer
from marketing_intel.webhooks.platform_time import to_datetime
from marketing_intel.webhooks.platforms import handler_for
from marketing_intel.webhooks.storable_text import storable_document, storable_text

STATUSES = ("ok", "failed", "pending", "cancelled", "test")
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
META_TYPES = {
    "leadgen": "lead",
    "feed": "page_feed",
    "comments": "comment",
    "mentions": "mention",
    "messages": "message",
    "with_issues_ad_objects": "ad_issue",
    "in_process_ad_objects": "ad_processing",
}
TIKTOK_TYPES = {
    "video.publish.complete": "video_published",
    "video.publish.failed": "video_publish_failed",
    "video.upload.failed": "video_upload_failed",
    "authorization.removed": "authorization_removed",
    "portability.download.ready": "data_export_ready",
}
KLAVIYO_TYPES = {
    "opened_email": "email_opened",
    "clicked_email": "email_clicked",
    "received_email": "email_delivered",
    "bounced_email": "email_bounced",
    "dropped_email": "email_dropped",
    "marked_email_as_spam": "email_marked_spam",
    "unsubscribed_from_email_marketing": "unsubscribed",
    "subscribed_to_email_marketing": "subscribed",
    "sent_sms": "sms_sent",
    "received_sms": "sms_delivered",
    "clicked_sms": "sms_clicked",
    "failed_to_deliver_sms": "sms_failed",
}
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
# Event types whose status is not ok by their nature.
_TYPE_STATUS = {
    "ad_issue": "failed",
    "ad_processing": "pending",
    "video_publish_failed": "failed",
    "video_upload_failed": "failed",
    "email_bounced": "failed",
    "email_dropped": "failed",
    "sms_failed": "failed",
    "payment_started": "pending",
    "payment_failed": "failed",
    "payment_cancelled": "cancelled",
    "charge_failed": "failed",
    "checkout_expired": "cancelled",
    "invoice_payment_failed": "failed",
    "subscription_cancelled": "cancelled",
    "order_cancelled": "cancelled",
}
# Stripe amounts are in minor units; these currencies have none, these have three decimals.
_ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"}
    | {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
_THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


@dataclass(frozen=True)
class NormalizedEvent:
    """The two lake rows of one event: `platform_event` (a `platform_events` row) and `raw` (an
    `integration_raw_data` row, personal data hashed or dropped, no secrets)."""

    platform_event: dict[str, Any]
    raw: dict[str, Any]


@dataclass
class _Facts:
    """What a platform's normalizer reads out of one event document."""

    event_type: str
    status: str = "ok"
    occurred: Any = None
    campaign_id: Any = None
    customer_key: str | None = None  # the salted hash of a customer id or email
    value: Decimal | None = None
    currency: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)


def event_id_for(tenant_id: str, platform: str, dedupe_key: str) -> str:
    """The stable event id of one logical event: the same inputs always give the same id."""
    text = "\x1f".join((tenant_id, platform, dedupe_key))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def normalize(
    platform: str,
    event: InboundEvent,
    *,
    tenant_id: str,
    raw_id: str,
    received_at: dt.datetime,
    salt: bytes,
) -> NormalizedEvent:
    """The lake rows of `event` for `tenant_id`; personal data hashed with the tenant's `salt`.

    Raises `WebhookRejected` (`unknown_platform`, `malformed_body`) for an event that
    `split_events` would not have produced.
    """
    reader = handler_for(platform, _READERS)
    pseudonyms = _pseudonymizer(salt)
    # Text no store can hold is replaced, and the event flagged (see `storable_text` for why).
    document, text_replaced = storable_document(parse_object(event.body))
    facts = reader(document, event, pseudonyms)
    if text_replaced:
        facts.attributes["text_replaced"] = True
    occurred = to_datetime(facts.occurred) or event.occurred_at or received_at
    value = _lake_numeric(facts.value)
    platform_event = {
        "event_id": event_id_for(tenant_id, platform, event.dedupe_key),
        "tenant_id": tenant_id,
        "platform": platform,
        "event_type": facts.event_type,
        "occurred_at": occurred,
        "received_at": received_at,
        "campaign_id": _id_text(facts.campaign_id),
        "customer_key": facts.customer_key,
        "value": value,
        "currency": _currency(facts.currency) if value is not None else None,
        "status": facts.status,
        "attributes": dumps(pseudonyms.redact(_without_none(facts.attributes))),
        "raw_id": raw_id,
    }
    raw = {
        "raw_id": raw_id,
        "tenant_id": tenant_id,
        "platform": platform,
        "topic": storable_text(event.topic),
        "received_at": received_at,
        "headers": dumps(HeaderView(event.headers).storable()),
        "body": dumps(_redacted_body(platform, document, pseudonyms)),
        "body_sha256": sha256_hex(event.body),
        "verified": True,
    }
    return NormalizedEvent(platform_event, raw)


@lru_cache(maxsize=1024)
def _pseudonymizer(salt: bytes) -> Pseudonymizer:
    """One per tenant salt, kept: its HMAC key schedule is computed once."""
    return Pseudonymizer(salt)


def _redacted_body(platform: str, document: dict[str, Any], pseudonyms: Pseudonymizer) -> Any:
    # Secrets never land; TikTok's content is JSON inside a string: redact inside it too.
    document = {k: v for k, v in document.items() if k != "google_key"}
    content = document.get("content")
    if platform == "tiktok" and isinstance(content, str) and content:
        document["content"] = dumps(pseudonyms.redact(_tiktok_content(content)[0]))
    return pseudonyms.redact(document)


def _tiktok_content(text: Any) -> tuple[dict[str, Any], bool]:
    """TikTok's content (a JSON document inside a string), made storable, and whether any text
    in it was replaced."""
    if not isinstance(text, str) or not text:
        return {}, False
    content, replaced = storable_document(parse_object(text, "TikTok's content"))
    return content, replaced


def _id_text(value: Any) -> str | None:
    """A platform id as exact text (ints are exact in Python; floats never reach here)."""
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        return None
    return str(value)


def _currency(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) and _CURRENCY.match(value) else None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        return None
    try:
        number = Decimal(value) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _lake_numeric(value: Decimal | None) -> Decimal | None:
    """`value` when NUMERIC can hold it (29 digits before the point, 9 after), else None: an
    absurd amount must not make the whole event unwritable."""
    try:
        return None if value is None else coerce_scalar("NUMERIC", value)
    except ValueError:
        return None


def _minor_units(amount: Any, currency: Any) -> Decimal | None:
    number = _decimal(amount)
    if number is None or not isinstance(currency, str):
        return None
    code = currency.lower()
    exponent = 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2
    return number.scaleb(-exponent)


def _without_none(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if v is not None}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _objects_in(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of a list, none when `value` is not a list."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _count(value: Any) -> int | None:
    return len(value) if isinstance(value, list) else None


def _status(event_type: str, test: bool = False) -> str:
    return "test" if test else _TYPE_STATUS.get(event_type, "ok")


def _customer_key(
    pseudonyms: Pseudonymizer, platform: str, customer_id: Any, email: Any = None
) -> str | None:
    """The hash of the platform's customer id, else of the email, else None."""
    if (text := _id_text(customer_id)) is not None:
        return pseudonyms.hash(platform, text)
    if isinstance(email, str) and email:
        return pseudonyms.hash("email", email)
    return None


def _read_shopify(doc: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer) -> _Facts:
    event_type = SHOPIFY_TYPES.get(event.topic, "other")
    status = _status(event_type, doc.get("test") is True)
    if status == "ok" and doc.get("cancelled_at"):
        status = "cancelled"
    elif status == "ok" and doc.get("financial_status") == "pending":
        status = "pending"
    value, currency = _decimal(doc.get("total_price")), doc.get("currency")
    transactions = _objects_in(doc.get("transactions"))
    if event_type == "refund_created" and transactions:
        amounts = [_decimal(t.get("amount")) or Decimal(0) for t in transactions]
        value, currency = sum(amounts, Decimal(0)), transactions[0].get("currency") or currency
    customer = as_object(doc.get("customer"))
    email = doc.get("email") or doc.get("contact_email") or customer.get("email")
    headers = event.headers
    return _Facts(
        event_type=event_type,
        status=status,
        occurred=doc.get("created_at") if event_type.endswith("_created") else None,
        customer_key=_customer_key(pseudonyms, "shopify", customer.get("id"), email),
        value=value,
        currency=currency,
        attributes={
            "topic": event.topic,
            "object_id": _id_text(doc.get("id")),
            "order_id": _id_text(doc.get("order_id")),
            "order_number": _id_text(doc.get("order_number")),
            "source_name": doc.get("source_name"),
            "financial_status": doc.get("financial_status"),
            "fulfillment_status": doc.get("fulfillment_status"),
            "line_items": _count(doc.get("line_items")),
            "country": as_object(doc.get("shipping_address")).get("country_code"),
            "shop_domain": headers.get("x-shopify-shop-domain"),
            "shopify_event_id": headers.get("x-shopify-event-id"),
        },
    )


def _read_meta(doc: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer) -> _Facts:
    entries = doc.get("entry")
    entry = entries[0] if isinstance(entries, list) and entries else {}
    changes = as_object(entry).get("changes")
    change = as_object(changes[0] if isinstance(changes, list) and changes else None)
    value = as_object(change.get("value"))
    field_name = _str(change.get("field"))
    event_type = META_TYPES.get(field_name, "other")
    return _Facts(
        event_type=event_type,
        status=_status(event_type),
        occurred=value.get("created_time") or as_object(entry).get("time"),
        campaign_id=value.get("campaign_id"),
        attributes={
            "object": doc.get("object"),
            "field": field_name,
            "entry_id": _id_text(as_object(entry).get("id")),
            "leadgen_id": _id_text(value.get("leadgen_id")),
            "form_id": _id_text(value.get("form_id")),
            "page_id": _id_text(value.get("page_id")),
            "ad_id": _id_text(value.get("ad_id")),
            "adgroup_id": _id_text(value.get("adgroup_id")),
            "object_id": _id_text(value.get("id")),
            "level": value.get("level"),
            "error_code": _id_text(value.get("error_code")),
            "item": value.get("item"),
            "verb": value.get("verb"),
        },
    )


def _read_google_ads(doc: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer) -> _Facts:
    answers = doc.get("user_column_data")
    contact = pseudonyms.contact_value(answers, "email") or pseudonyms.contact_value(
        answers, "phone"
    )
    return _Facts(
        event_type="lead",
        status=_status("lead", doc.get("is_test") is True),
        occurred=doc.get("lead_submit_time"),
        campaign_id=doc.get("campaign_id"),
        customer_key=contact,
        attributes={
            "lead_id": _id_text(doc.get("lead_id")),
            "form_id": _id_text(doc.get("form_id")),
            "adgroup_id": _id_text(doc.get("adgroup_id")),
            "creative_id": _id_text(doc.get("creative_id")),
            "asset_group_id": _id_text(doc.get("asset_group_id")),
            "gcl_id": _id_text(doc.get("gcl_id")),
            "api_version": doc.get("api_version"),
        },
    )


def _read_tiktok(doc: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer) -> _Facts:
    content, replaced = _tiktok_content(doc.get("content"))
    name = _str(doc.get("event"))
    event_type = TIKTOK_TYPES.get(name, "other")
    return _Facts(
        event_type=event_type,
        status=_status(event_type),
        occurred=doc.get("create_time"),
        customer_key=_customer_key(pseudonyms, "tiktok", doc.get("user_openid")),
        attributes={
            "event": name,
            "client_key": doc.get("client_key"),
            "share_id": _id_text(content.get("share_id")),
            "publish_type": content.get("publish_type"),
            "reason": _id_text(content.get("reason")),
            "text_replaced": True if replaced else None,
        },
    )


def _read_klaviyo(doc: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer) -> _Facts:
    items = doc.get("data")
    item = as_object(items[0] if isinstance(items, list) and items else None)
    payload = as_object(item.get("payload"))
    attributes = as_object(payload.get("attributes"))
    properties = as_object(attributes.get("event_properties"))
    relationships = as_object(payload.get("relationships"))
    profile = as_object(as_object(relationships.get("profile")).get("data"))
    metric = as_object(as_object(relationships.get("metric")).get("data"))
    topic = _str(item.get("topic"))
    event_type = KLAVIYO_TYPES.get(topic.removeprefix("event:klaviyo."), "other")
    flow = properties.get("$flow")
    return _Facts(
        event_type=event_type,
        status=_status(event_type),
        occurred=attributes.get("datetime") or attributes.get("timestamp"),
        # $message is the campaign's id for a campaign send, a flow message's id otherwise.
        campaign_id=None if flow else properties.get("$message"),
        customer_key=_customer_key(pseudonyms, "klaviyo", profile.get("id")),
        value=_decimal(properties.get("$value")),
        attributes={
            "topic": topic,
            "klaviyo_event_id": _id_text(payload.get("id")),
            "metric_id": _id_text(metric.get("id")),
            "flow_id": _id_text(flow),
            "message_id": _id_text(properties.get("$message")),
            "account_id": _id_text(as_object(doc.get("meta")).get("klaviyo_account_id")),
        },
    )


def _read_stripe(doc: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer) -> _Facts:
    name = _str(doc.get("type"))
    event_type = STRIPE_TYPES.get(name, "other")
    obj = as_object(as_object(doc.get("data")).get("object"))
    currency = obj.get("currency")
    email = (
        as_object(obj.get("customer_details")).get("email")
        or obj.get("receipt_email")
        or as_object(obj.get("billing_details")).get("email")
    )
    error = as_object(obj.get("last_payment_error"))
    return _Facts(
        event_type=event_type,
        status=_status(event_type, doc.get("livemode") is False),
        occurred=doc.get("created"),
        campaign_id=as_object(obj.get("metadata")).get("campaign_id"),
        customer_key=_customer_key(pseudonyms, "stripe", obj.get("customer"), email),
        value=_minor_units(_stripe_amount(name, obj), currency),
        currency=currency,
        attributes={
            "type": name,
            "object": obj.get("object"),
            "object_id": _id_text(obj.get("id")),
            "api_version": doc.get("api_version"),
            "failure_code": error.get("code") or obj.get("failure_code"),
            "decline_code": error.get("decline_code"),
        },
    )


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


def _read_standard(doc: dict[str, Any], event: InboundEvent, _: Pseudonymizer) -> _Facts:
    name = doc.get("type")
    event_type = "other"
    if isinstance(name, str) and (snake := re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")):
        event_type = snake[:64]
    return _Facts(
        event_type=event_type,
        occurred=doc.get("timestamp"),
        attributes={"type": name, "webhook_id": event.dedupe_key},
    )


_Reader = Callable[[dict[str, Any], InboundEvent, Pseudonymizer], _Facts]
_READERS: dict[str, _Reader] = {
    "shopify": _read_shopify,
    "meta": _read_meta,
    "google_ads": _read_google_ads,
    "tiktok": _read_tiktok,
    "klaviyo": _read_klaviyo,
    "stripe": _read_stripe,
    "standard": _read_standard,
}
