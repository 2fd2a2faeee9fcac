"""TikTok for Developers: `TikTok-Signature: t=<unix>,s=<hex>`, the HMAC-SHA256 of `t + "." + body`
keyed with the client secret. TikTok leaves the replay window to the receiver; we use the same
300 s as Stripe and Standard Webhooks.

`content` is a JSON document serialized into a string: it is parsed (and redacted) a second time.
Dedupe key: `<event>:<user_openid>:<create_time>:<sha256 of content>` (TikTok gives no id).
Event types (event): video.publish.complete video_published, video.publish.failed
video_publish_failed (failed), video.upload.failed video_upload_failed (failed),
authorization.removed authorization_removed, portability.download.ready data_export_ready.
"""

from __future__ import annotations

import json
from typing import Any

from marketing_intel.webhooks.events import (
    InboundEvent,
    bounded_key,
    sha256_hex,
    single_event,
    topic_text,
)
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.json_text import dumps, parse_object
from marketing_intel.webhooks.normalization import (
    EventFacts,
    customer_hash,
    id_text,
    status_of,
    text_value,
)
from marketing_intel.webhooks.personal_data import Pseudonymizer
from marketing_intel.webhooks.platform import SignedRequest, WebhookPlatform
from marketing_intel.webhooks.rejections import WebhookRejected
from marketing_intel.webhooks.samples import SAMPLE_FIRST_ID, sample_body
from marketing_intel.webhooks.signing import hmac_sha256, unix_time_text
from marketing_intel.webhooks.storable_text import storable_document
from marketing_intel.webhooks.verification import check_signature, timestamped_signatures

TIKTOK_TYPES = {
    "video.publish.complete": "video_published",
    "video.publish.failed": "video_publish_failed",
    "video.upload.failed": "video_upload_failed",
    "authorization.removed": "authorization_removed",
    "portability.download.ready": "data_export_ready",
}
_TYPE_STATUS = {"video_publish_failed": "failed", "video_upload_failed": "failed"}
_HEADER = "TikTok-Signature"


def tiktok_signature(client_secret: str, timestamp: str, body: bytes) -> str:
    """TikTok: hex HMAC of `timestamp + "." + body` keyed with the client secret."""
    return hmac_sha256(client_secret.encode(), timestamp.encode() + b"." + body).hex()


def sign_tiktok(body: bytes, client_secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """The `TikTok-Signature: t=..,s=..` header for `body`, signed at `timestamp` (default now)."""
    stamp = unix_time_text(timestamp)
    return {_HEADER: f"t={stamp},s={tiktok_signature(client_secret, stamp, body)}"}


def _content(text: Any) -> tuple[dict[str, Any], bool]:
    """TikTok's content (a JSON document inside a string), made storable, and whether any text
    in it was replaced."""
    if not isinstance(text, str) or not text:
        return {}, False
    content, replaced = storable_document(parse_object(text, "TikTok's content"))
    return content, replaced


class TikTok(WebhookPlatform):
    """TikTok for Developers webhooks (video publishing, authorization, data portability)."""

    name = "tiktok"
    title = "TikTok"
    signature_headers = frozenset({"tiktok-signature"})
    order = 4

    def verify(self, headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
        """One fresh `t=` and an `s=` equal to the HMAC of `t.body` by one of `keys`."""
        stamp, received = timestamped_signatures(
            headers, _HEADER, "s", now, "TikTok-Signature has no s=."
        )
        check_signature(received, (tiktok_signature(k, stamp, body) for k in keys), "TikTok")

    def split(
        self, headers: HeaderView, body: bytes, document: dict[str, Any]
    ) -> list[InboundEvent]:
        """One event; its content must parse as JSON too."""
        content = document.get("content", "")
        if not isinstance(content, str):
            raise WebhookRejected(
                "malformed_body", "TikTok's content must be a JSON-encoded string."
            )
        if content:
            parse_object(content, "TikTok's content")  # double-encoded JSON: it must parse too
        event = topic_text(document.get("event"))
        key = bounded_key(
            f"{event}:{document.get('user_openid')}:{document.get('create_time')}:"
            f"{sha256_hex(content)}"
        )
        return single_event(headers, body, key, event, document.get("create_time"))

    def read(
        self, document: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer
    ) -> EventFacts:
        """The event name, the hashed user and the content's share id."""
        content, replaced = _content(document.get("content"))
        name = text_value(document.get("event"))
        event_type = TIKTOK_TYPES.get(name, "other")
        return EventFacts(
            event_type=event_type,
            status=status_of(event_type, _TYPE_STATUS),
            occurred=document.get("create_time"),
            customer_key=customer_hash(pseudonyms, "tiktok", document.get("user_openid")),
            attributes={
                "event": name,
                "client_key": document.get("client_key"),
                "share_id": id_text(content.get("share_id")),
                "publish_type": content.get("publish_type"),
                "reason": id_text(content.get("reason")),
                "text_replaced": True if replaced else None,
            },
        )

    def stored_body(self, document: dict[str, Any], pseudonyms: Pseudonymizer) -> Any:
        """Redacted, inside the content string too."""
        content = document.get("content")
        if isinstance(content, str) and content:
            document = {**document, "content": dumps(pseudonyms.redact(_content(content)[0]))}
        return pseudonyms.redact(document)

    def sign(self, body: bytes, secret: str, *, timestamp: int, delivery_id: str) -> SignedRequest:
        """TikTok signs the timestamp and the body."""
        return SignedRequest(sign_tiktok(body, secret, timestamp=timestamp), body)

    def sample(self, number: int, timestamp: int) -> SignedRequest:
        """A video.publish.complete event."""
        event = {
            "client_key": "sbawsample0000000",
            "event": "video.publish.complete",
            "create_time": timestamp,
            "user_openid": f"act.sample{number}",
            "content": json.dumps({"share_id": f"video.{SAMPLE_FIRST_ID + number}.sample"}),
        }
        return SignedRequest({"Content-Type": "application/json"}, sample_body(event))


PLATFORM = TikTok()
