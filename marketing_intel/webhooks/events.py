"""One verified request split into the events it carries, each with its dedupe key.

Each platform's `split` (in `marketing_intel.webhooks.platforms`) says how: a batching platform
(Meta, Klaviyo) gives one `InboundEvent` per item, whose body is a one-event document of the same
shape, so one reader handles both; every other platform sends one event. Its module docstring
names its dedupe key (unique per tenant and platform for one logical event; a retry carries the
same key), built with `event_key` and `bounded_key` here.

When the platform's id is absent, the key is `sha256:<hex of the event's JSON>`; a key longer
than 200 characters, or one holding text no store can hold (a lone surrogate, NUL: see
`storable_text`), is replaced by `sha256:<hex of the key>`, which keeps distinct keys distinct.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.json_text import dumps, parse_object
from marketing_intel.webhooks.platform_time import to_datetime
from marketing_intel.webhooks.registry import webhook_platform
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
    return webhook_platform(platform).split(HeaderView(headers), body, parse_object(body))


def event_key(platform_id: Any, content: bytes | str) -> str:
    """The platform's id as text, or else the hash of the event's content."""
    usable = isinstance(platform_id, int | str) and not isinstance(platform_id, bool)
    return bounded_key(str(platform_id) if usable and platform_id != "" else _hashed(content))


def _hashed(content: bytes | str) -> str:
    return f"sha256:{sha256_hex(content)}"


def bounded_key(key: str) -> str:
    """`key`, or its hash when it is too long to index or holds text the inbox cannot store."""
    return key if len(key) <= _MAX_KEY_LENGTH and is_storable(key) else _hashed(key)


def topic_text(value: Any, default: str = "unknown") -> str:
    """`value` as a storable topic when it is non-empty text, else `default`."""
    return storable_text(value) if isinstance(value, str) and value else default


def json_bytes(value: Any) -> bytes:
    """One event's JSON document as UTF-8 bytes that parse back to `value` exactly."""
    return escaped_surrogates(dumps(value)).encode()


def object_list(value: Any, what: str) -> list[dict[str, Any]]:
    """`value` as a list of JSON objects; `malformed_body` otherwise."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise WebhookRejected("malformed_body", f"{what} must be a list of JSON objects.")
    return value


def single_event(
    view: HeaderView, body: bytes, key: str, topic: str, occurred: Any
) -> list[InboundEvent]:
    """The one event of a request that carries one (most platforms)."""
    return [InboundEvent(key, topic, to_datetime(occurred), body, view.storable())]
