"""One verified request split into the events it carries, each with its dedupe key.

Meta and Klaviyo batch: one Meta POST holds `entry[].changes[]` (up to 1000 updates), one Klaviyo
POST holds `data[]`; each change or item becomes its own `InboundEvent`, whose body is a
one-event document of the same shape (`{"object", "entry": [{"id", "time", "changes": [one]}]}`,
`{"data": [one], "meta"}`), so one normalizer reads both. Every other platform sends one event.

Dedupe keys (unique per tenant and platform for one logical event; a retry carries the same key):
- shopify: `X-Shopify-Webhook-Id` (one per delivery, reused by Shopify's retries).
- meta: `leadgen:<leadgen_id>` for leads; otherwise `<entry id>:<entry time>:<field>:<sha256 of
  the change value>` (Meta gives no delivery id; a retry resends the same bytes).
- google_ads: `lead_id`.
- tiktok: `<event>:<user_openid>:<create_time>:<sha256 of content>` (TikTok gives no id).
- klaviyo: `data[].external_id`.
- stripe: the event `id` (`evt_...`).
- standard: the `webhook-id` header.
When the platform's id is absent, the key is `sha256:<hex of the event's JSON>`; a key longer
than 200 characters, or one holding text no store can hold (a lone surrogate, NUL: see
`storable_text`), is replaced by `sha256:<hex of the key>`, which keeps distinct keys distinct.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.json_text import as_object, dumps, parse_object
from marketing_intel.webhooks.platform_time import to_datetime
from marketing_intel.webhooks.platforms import handler_for
from marketing_intel.webhooks.rejections import WebhookRejected
from marketing_intel.webhooks.storable_text import escaped_surrogates, is_storable, storable_text

_MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class InboundEvent:
    """One event of a verified request, ready for the inbox.

    `body` is this event's JSON: the exact request bytes when the request carried one event
    (Google Ads bodies lose their `google_key`, a secret); `headers` are lower-cased, without
    signatures, credentials or client IP addresses.
    """

    dedupe_key: str
    topic: str
    occurred_at: dt.datetime | None
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def sha256_hex(data: bytes | str) -> str:
    """Hex SHA-256 of `data` (text is UTF-8 encoded; a lone surrogate as its three bytes, so that
    any text JSON can carry has a hash)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def split_events(platform: str, headers: Mapping[str, str], body: bytes) -> list[InboundEvent]:
    """The events of a verified request; `malformed_body` when it is not the platform's JSON.

    A batch with no items gives an empty list (answer 2xx, store nothing).
    """
    splitter = handler_for(platform, _SPLITTERS)
    return splitter(HeaderView(headers), body, parse_object(body))


def _key(platform_id: Any, content: bytes | str) -> str:
    """The platform's id as text, or else the hash of the event's content."""
    usable = isinstance(platform_id, int | str) and not isinstance(platform_id, bool)
    return _bounded(str(platform_id) if usable and platform_id != "" else _hashed(content))


def _hashed(content: bytes | str) -> str:
    return f"sha256:{sha256_hex(content)}"


def _bounded(key: str) -> str:
    """`key`, or its hash when it is too long to index or holds text the inbox cannot store."""
    return key if len(key) <= _MAX_KEY_LENGTH and is_storable(key) else _hashed(key)


def _text(value: Any, default: str = "unknown") -> str:
    return storable_text(value) if isinstance(value, str) and value else default


def _json_bytes(value: Any) -> bytes:
    """One event's JSON document as UTF-8 bytes that parse back to `value` exactly."""
    return escaped_surrogates(dumps(value)).encode()


def _objects(value: Any, what: str) -> list[dict[str, Any]]:
    """`value` as a list of JSON objects; `malformed_body` otherwise."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise WebhookRejected("malformed_body", f"{what} must be a list of JSON objects.")
    return value


def _single(
    view: HeaderView, body: bytes, key: str, topic: str, occurred: Any
) -> list[InboundEvent]:
    return [InboundEvent(key, topic, to_datetime(occurred), body, view.storable())]


def _split_shopify(view: HeaderView, body: bytes, doc: dict[str, Any]) -> list[InboundEvent]:
    key = _key(view.get("x-shopify-webhook-id"), body)
    occurred = view.get("x-shopify-triggered-at") or doc.get("updated_at") or doc.get("created_at")
    return _single(view, body, key, _text(view.get("x-shopify-topic")), occurred)


def _split_meta(view: HeaderView, body: bytes, doc: dict[str, Any]) -> list[InboundEvent]:
    changes = [
        (entry, change)
        for entry in _objects(doc.get("entry", []), "Meta's entry")
        for change in _objects(entry.get("changes", []), "Meta's entry[].changes")
    ]
    headers = view.storable()
    events = []
    for entry, change in changes:
        value = as_object(change.get("value"))
        field_name = _text(change.get("field"))
        if field_name == "leadgen" and "leadgen_id" in value:
            key = _bounded(f"leadgen:{value['leadgen_id']}")
        else:
            content = sha256_hex(dumps(change.get("value")))
            key = _bounded(f"{entry.get('id')}:{entry.get('time')}:{field_name}:{content}")
        single = {
            "object": doc.get("object"),
            "entry": [{"id": entry.get("id"), "time": entry.get("time"), "changes": [change]}],
        }
        event_body = body if len(changes) == 1 else _json_bytes(single)
        occurred = to_datetime(value.get("created_time") or entry.get("time"))
        topic = f"{_text(doc.get('object'))}.{field_name}"
        events.append(InboundEvent(key, topic, occurred, event_body, headers))
    return events


def _split_google_ads(view: HeaderView, body: bytes, doc: dict[str, Any]) -> list[InboundEvent]:
    # The shared key is a secret: it never reaches the inbox. Numbers are written back exactly.
    lead = {name: value for name, value in doc.items() if name != "google_key"}
    lead_body = _json_bytes(lead)
    occurred = lead.get("lead_submit_time")
    return _single(view, lead_body, _key(lead.get("lead_id"), lead_body), "lead_form", occurred)


def _split_tiktok(view: HeaderView, body: bytes, doc: dict[str, Any]) -> list[InboundEvent]:
    content = doc.get("content", "")
    if not isinstance(content, str):
        raise WebhookRejected("malformed_body", "TikTok's content must be a JSON-encoded string.")
    if content:
        parse_object(content, "TikTok's content")  # double-encoded JSON: it must parse too
    event = _text(doc.get("event"))
    key = _bounded(
        f"{event}:{doc.get('user_openid')}:{doc.get('create_time')}:{sha256_hex(content)}"
    )
    return _single(view, body, key, event, doc.get("create_time"))


def _split_klaviyo(view: HeaderView, body: bytes, doc: dict[str, Any]) -> list[InboundEvent]:
    items = _objects(doc.get("data", []), "Klaviyo's data")
    headers = view.storable()
    events = []
    for item in items:
        single = {"data": [item], "meta": doc.get("meta")}
        item_body = body if len(items) == 1 else _json_bytes(single)
        attributes = as_object(as_object(item.get("payload")).get("attributes"))
        occurred = to_datetime(attributes.get("datetime") or attributes.get("timestamp"))
        key = _key(item.get("external_id"), dumps(item))
        events.append(InboundEvent(key, _text(item.get("topic")), occurred, item_body, headers))
    return events


def _split_stripe(view: HeaderView, body: bytes, doc: dict[str, Any]) -> list[InboundEvent]:
    key = _key(doc.get("id"), body)
    return _single(view, body, key, _text(doc.get("type")), doc.get("created"))


def _split_standard(view: HeaderView, body: bytes, doc: dict[str, Any]) -> list[InboundEvent]:
    occurred = doc.get("timestamp") or view.get("webhook-timestamp")
    key = _key(view.get("webhook-id"), body)
    return _single(view, body, key, _text(doc.get("type")), occurred)


_Splitter = Callable[[HeaderView, bytes, dict[str, Any]], list[InboundEvent]]
_SPLITTERS: dict[str, _Splitter] = {
    "shopify": _split_shopify,
    "meta": _split_meta,
    "google_ads": _split_google_ads,
    "tiktok": _split_tiktok,
    "klaviyo": _split_klaviyo,
    "stripe": _split_stripe,
    "standard": _split_standard,
}
