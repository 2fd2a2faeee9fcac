"""Klaviyo (system webhooks): `Klaviyo-Signature`, the hex HMAC-SHA256 of the body bytes followed
by the `Klaviyo-Timestamp` header string (no separator), keyed with the secret the user set; the
body's `meta.klaviyo_webhook_id` must equal the `Klaviyo-Webhook-Id` header.

One POST batches `data[]`; each item becomes its own event, whose body is `{"data": [one], "meta"}`.
Dedupe key: `data[].external_id`.
Event types (topic `event:klaviyo.<metric>`): opened_email email_opened, clicked_email
email_clicked, received_email email_delivered, bounced_email email_bounced (failed), dropped_email
email_dropped (failed), marked_email_as_spam email_marked_spam, unsubscribed_from_email_marketing
unsubscribed, subscribed_to_email_marketing subscribed, sent_sms sms_sent, received_sms
sms_delivered, clicked_sms sms_clicked, failed_to_deliver_sms sms_failed (failed).
"""

from __future__ import annotations

import hmac
from typing import Any

from marketing_intel.webhooks.events import (
    InboundEvent,
    event_key,
    json_bytes,
    object_list,
    topic_text,
)
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.json_text import as_object, dumps, parse_object
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
from marketing_intel.webhooks.platform_time import to_datetime
from marketing_intel.webhooks.rejections import WebhookRejected
from marketing_intel.webhooks.samples import sample_body
from marketing_intel.webhooks.signing import hmac_sha256, unix_time_text
from marketing_intel.webhooks.verification import check_fresh, check_signature

KLAVIYO_SAMPLE_WEBHOOK_ID = "01JSAMPLEWEBHOOK0000000000"
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
_TYPE_STATUS = {"email_bounced": "failed", "email_dropped": "failed", "sms_failed": "failed"}


def klaviyo_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Klaviyo: hex HMAC of the body bytes followed by the timestamp header string, no separator."""
    return hmac_sha256(secret.encode(), body + timestamp.encode()).hex()


def sign_klaviyo(
    body: bytes, secret: str, *, webhook_id: str, timestamp: str | None = None
) -> dict[str, str]:
    """Klaviyo's signature, timestamp and webhook id headers for `body`."""
    stamp = timestamp if timestamp is not None else unix_time_text(None)
    return {
        "Klaviyo-Signature": klaviyo_signature(secret, stamp, body),
        "Klaviyo-Timestamp": stamp,
        "Klaviyo-Webhook-Id": webhook_id,
    }


def _webhook_id_in(body: bytes) -> Any:
    meta = parse_object(body).get("meta")
    return meta.get("klaviyo_webhook_id") if isinstance(meta, dict) else None


class Klaviyo(WebhookPlatform):
    """Klaviyo's system webhooks (email and SMS events), batched."""

    name = "klaviyo"
    title = "Klaviyo"
    signature_headers = frozenset({"klaviyo-signature"})
    order = 5

    def verify(self, headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
        """A fresh timestamp, the HMAC by one of `keys`, the body naming the header's webhook."""
        received = headers.require("klaviyo-signature").lower()
        stamp = headers.require("klaviyo-timestamp")
        webhook_id = headers.require("klaviyo-webhook-id")
        check_fresh(stamp, now, "Klaviyo-Timestamp")
        check_signature([received], (klaviyo_signature(k, stamp, body) for k in keys), "Klaviyo")
        # Signed, but the body must also name the webhook the header names (Klaviyo's own rule).
        body_id = _webhook_id_in(body)
        if not isinstance(body_id, str) or not hmac.compare_digest(body_id, webhook_id):
            raise WebhookRejected(
                "webhook_id_mismatch",
                "meta.klaviyo_webhook_id in the body differs from the Klaviyo-Webhook-Id header.",
            )

    def split(
        self, headers: HeaderView, body: bytes, document: dict[str, Any]
    ) -> list[InboundEvent]:
        """One event per `data[]` item."""
        items = object_list(document.get("data", []), "Klaviyo's data")
        stored_headers = headers.storable()
        events = []
        for item in items:
            single = {"data": [item], "meta": document.get("meta")}
            item_body = body if len(items) == 1 else json_bytes(single)
            attributes = as_object(as_object(item.get("payload")).get("attributes"))
            occurred = to_datetime(attributes.get("datetime") or attributes.get("timestamp"))
            key = event_key(item.get("external_id"), dumps(item))
            topic = topic_text(item.get("topic"))
            events.append(InboundEvent(key, topic, occurred, item_body, stored_headers))
        return events

    def read(
        self, document: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer
    ) -> EventFacts:
        """The metric, the campaign or flow message, the hashed profile and the value."""
        items = document.get("data")
        item = as_object(items[0] if isinstance(items, list) and items else None)
        payload = as_object(item.get("payload"))
        attributes = as_object(payload.get("attributes"))
        properties = as_object(attributes.get("event_properties"))
        relationships = as_object(payload.get("relationships"))
        profile = as_object(as_object(relationships.get("profile")).get("data"))
        metric = as_object(as_object(relationships.get("metric")).get("data"))
        topic = text_value(item.get("topic"))
        event_type = KLAVIYO_TYPES.get(topic.removeprefix("event:klaviyo."), "other")
        flow = properties.get("$flow")
        return EventFacts(
            event_type=event_type,
            status=status_of(event_type, _TYPE_STATUS),
            occurred=attributes.get("datetime") or attributes.get("timestamp"),
            # $message is the campaign's id for a campaign send, a flow message's id otherwise.
            campaign_id=None if flow else properties.get("$message"),
            customer_key=customer_hash(pseudonyms, "klaviyo", profile.get("id")),
            value=decimal_value(properties.get("$value")),
            attributes={
                "topic": topic,
                "klaviyo_event_id": id_text(payload.get("id")),
                "metric_id": id_text(metric.get("id")),
                "flow_id": id_text(flow),
                "message_id": id_text(properties.get("$message")),
                "account_id": id_text(as_object(document.get("meta")).get("klaviyo_account_id")),
            },
        )

    def sign(self, body: bytes, secret: str, *, timestamp: int, delivery_id: str) -> SignedRequest:
        """Signed with the webhook id the body names (as Klaviyo sends it), else `delivery_id`."""
        named = _webhook_id_in(body)
        webhook_id = named if isinstance(named, str) else delivery_id
        headers = sign_klaviyo(body, secret, webhook_id=webhook_id, timestamp=str(timestamp))
        return SignedRequest(headers, body)

    def sample(self, number: int, timestamp: int) -> SignedRequest:
        """An opened_email event of a campaign."""
        item = {
            "topic": "event:klaviyo.opened_email",
            "external_id": f"sample-event-{number}",
            "payload": {
                "type": "event",
                "id": f"sample-event-{number}",
                "attributes": {
                    "timestamp": timestamp,
                    "event_properties": {"$message": "01JSAMPLE"},
                },
                "relationships": {"profile": {"data": {"type": "profile", "id": f"01JP{number}"}}},
            },
        }
        meta = {"klaviyo_account_id": "Sample1", "klaviyo_webhook_id": KLAVIYO_SAMPLE_WEBHOOK_ID}
        body = sample_body({"data": [item], "meta": meta})
        return SignedRequest({"Content-Type": "application/json"}, body)


PLATFORM = Klaviyo()
