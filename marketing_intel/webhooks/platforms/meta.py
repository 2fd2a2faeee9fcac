"""Meta (Graph API: Page leadgen, ad account, Instagram): `X-Hub-Signature-256: sha256=<hex>`, the
HMAC-SHA256 of the raw body keyed with the App Secret; a GET handshake with a verify token.

One POST batches `entry[].changes[]` (up to 1000 updates); each change becomes its own event, whose
body is the one-change document `{"object", "entry": [{"id", "time", "changes": [one]}]}`.
Dedupe key: `leadgen:<leadgen_id>` for leads; otherwise `<entry id>:<entry time>:<field>:<sha256
of the change value>` (Meta gives no delivery id; a retry resends the same bytes).
Event types (change field): leadgen lead, feed page_feed, comments comment, mentions mention,
messages message, with_issues_ad_objects ad_issue (failed), in_process_ad_objects ad_processing
(pending).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from typing import Any

from marketing_intel.webhooks.events import (
    InboundEvent,
    bounded_key,
    json_bytes,
    object_list,
    sha256_hex,
    topic_text,
)
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.json_text import as_object, dumps
from marketing_intel.webhooks.normalization import EventFacts, id_text, status_of, text_value
from marketing_intel.webhooks.personal_data import Pseudonymizer
from marketing_intel.webhooks.platform import SignedRequest, WebhookPlatform
from marketing_intel.webhooks.platform_time import to_datetime
from marketing_intel.webhooks.rejections import WebhookRejected
from marketing_intel.webhooks.samples import SAMPLE_FIRST_ID, sample_body
from marketing_intel.webhooks.signing import hmac_sha256
from marketing_intel.webhooks.verification import SourceSecrets, check_signature

META_TYPES = {
    "leadgen": "lead",
    "feed": "page_feed",
    "comments": "comment",
    "mentions": "mention",
    "messages": "message",
    "with_issues_ad_objects": "ad_issue",
    "in_process_ad_objects": "ad_processing",
}
_TYPE_STATUS = {"ad_issue": "failed", "ad_processing": "pending"}
_CHALLENGE = re.compile(r"[A-Za-z0-9_.\-]{1,256}")


def meta_signature(app_secret: str, body: bytes) -> str:
    """Meta: `sha256=` and the hex HMAC of the raw body keyed with the App Secret."""
    return "sha256=" + hmac_sha256(app_secret.encode(), body).hex()


def sign_meta(body: bytes, app_secret: str) -> dict[str, str]:
    """The signature header Meta sends with `body`."""
    return {"X-Hub-Signature-256": meta_signature(app_secret, body)}


def meta_challenge(query: Mapping[str, str], secrets: SourceSecrets) -> str:
    """The `hub.challenge` to echo (as text/plain) when Meta's subscription handshake carries
    `hub.mode=subscribe` and the source's verify token; raise `WebhookRejected` otherwise."""
    if not secrets.verify_token:
        raise WebhookRejected(
            "misconfigured_source",
            "This Meta source has no verify token; add the source again with --verify-token.",
        )
    if query.get("hub.mode") != "subscribe":
        raise WebhookRejected("malformed_handshake", "Expected hub.mode=subscribe.")
    challenge = query.get("hub.challenge") or ""
    if not _CHALLENGE.fullmatch(challenge):
        raise WebhookRejected(
            "malformed_handshake", "hub.challenge is missing or not a plain token of 1-256 chars."
        )
    token = query.get("hub.verify_token") or ""
    if not hmac.compare_digest(token.encode(), secrets.verify_token.encode()):
        raise WebhookRejected("bad_verify_token", "hub.verify_token does not match this source.")
    return challenge


class Meta(WebhookPlatform):
    """Meta's Graph API webhooks, batched."""

    name = "meta"
    title = "Meta"
    signature_headers = frozenset({"x-hub-signature", "x-hub-signature-256"})
    order = 2
    handshake = True

    def verify(self, headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
        """`sha256=<hex>` of the body by one of `keys`; hex compares case-insensitively."""
        received = headers.require("x-hub-signature-256")
        if not received.startswith("sha256="):
            raise WebhookRejected(
                "malformed_signature_header", "X-Hub-Signature-256 must read sha256=<hex>."
            )
        hex_part = received.removeprefix("sha256=").lower()
        check_signature([f"sha256={hex_part}"], (meta_signature(k, body) for k in keys), "Meta")

    def split(
        self, headers: HeaderView, body: bytes, document: dict[str, Any]
    ) -> list[InboundEvent]:
        """One event per change of every entry."""
        doc = document
        changes = [
            (entry, change)
            for entry in object_list(doc.get("entry", []), "Meta's entry")
            for change in object_list(entry.get("changes", []), "Meta's entry[].changes")
        ]
        stored_headers = headers.storable()
        events = []
        for entry, change in changes:
            value = as_object(change.get("value"))
            field_name = topic_text(change.get("field"))
            if field_name == "leadgen" and "leadgen_id" in value:
                key = bounded_key(f"leadgen:{value['leadgen_id']}")
            else:
                content = sha256_hex(dumps(change.get("value")))
                key = bounded_key(f"{entry.get('id')}:{entry.get('time')}:{field_name}:{content}")
            single = {
                "object": doc.get("object"),
                "entry": [{"id": entry.get("id"), "time": entry.get("time"), "changes": [change]}],
            }
            event_body = body if len(changes) == 1 else json_bytes(single)
            occurred = to_datetime(value.get("created_time") or entry.get("time"))
            topic = f"{topic_text(doc.get('object'))}.{field_name}"
            events.append(InboundEvent(key, topic, occurred, event_body, stored_headers))
        return events

    def read(
        self, document: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer
    ) -> EventFacts:
        """The change's field, object ids and campaign."""
        entries = document.get("entry")
        entry = as_object(entries[0] if isinstance(entries, list) and entries else None)
        changes = entry.get("changes")
        change = as_object(changes[0] if isinstance(changes, list) and changes else None)
        value = as_object(change.get("value"))
        field_name = text_value(change.get("field"))
        event_type = META_TYPES.get(field_name, "other")
        return EventFacts(
            event_type=event_type,
            status=status_of(event_type, _TYPE_STATUS),
            occurred=value.get("created_time") or entry.get("time"),
            campaign_id=value.get("campaign_id"),
            attributes={
                "object": document.get("object"),
                "field": field_name,
                "entry_id": id_text(entry.get("id")),
                "leadgen_id": id_text(value.get("leadgen_id")),
                "form_id": id_text(value.get("form_id")),
                "page_id": id_text(value.get("page_id")),
                "ad_id": id_text(value.get("ad_id")),
                "adgroup_id": id_text(value.get("adgroup_id")),
                "object_id": id_text(value.get("id")),
                "level": value.get("level"),
                "error_code": id_text(value.get("error_code")),
                "item": value.get("item"),
                "verb": value.get("verb"),
            },
        )

    def sign(self, body: bytes, secret: str, *, timestamp: int, delivery_id: str) -> SignedRequest:
        """Meta signs the body only."""
        return SignedRequest(sign_meta(body, secret), body)

    def sample(self, number: int, timestamp: int) -> SignedRequest:
        """A Page leadgen update."""
        change = {
            "field": "leadgen",
            "value": {
                "leadgen_id": SAMPLE_FIRST_ID + number,
                "form_id": 987654321012345,
                "page_id": 112233445566778,
                "ad_id": 120210000000000001,
                "adgroup_id": 120210000000000002,
                "created_time": timestamp,
            },
        }
        entry = {"id": 112233445566778, "time": timestamp, "changes": [change]}
        body = sample_body({"object": "page", "entry": [entry]})
        return SignedRequest({"Content-Type": "application/json"}, body)

    def answer_handshake(self, query: Mapping[str, str], secrets: SourceSecrets) -> str:
        """The challenge Meta's subscription check asks us to echo (see `meta_challenge`)."""
        return meta_challenge(query, secrets)


PLATFORM = Meta()
