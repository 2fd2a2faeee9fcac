"""Verified events into lake rows: one `platform_events` row and one `integration_raw_data` row.

Event types (`platform_events.event_type`) come from the platform's topic, by the table in its
module under `marketing_intel.webhooks.platforms` (which its docstring lists); any other topic is
`other` (the topic itself stays in `integration_raw_data.topic`).

Status (`platform_events.status`): ok; failed (a failure event: payment or delivery failed, an ad
with issues); pending (not settled yet: a pending order, a payment intent just created, an ad in
review); cancelled (cancelled order, cancelled subscription, expired checkout); test (Shopify test
orders, Stripe test mode, Google's "Send test data" leads), so analyses can leave them out.

`occurred_at` is when the platform says the event happened (its `read`: Shopify created_at for
creations, Stripe created, ...), else the delivery's trigger time its `split` read (Shopify
X-Shopify-Triggered-At, the webhook-timestamp header), else `received_at`.

Ids stay exact: platform ids are written as decimal strings, never through a float. Money is a
Decimal in the currency's major unit (a platform counting minor units, Stripe, divides them);
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from marketing_intel.lake.parameters import coerce_scalar
from marketing_intel.webhooks.events import InboundEvent, sha256_hex
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.json_text import dumps, parse_object
from marketing_intel.webhooks.personal_data import Pseudonymizer
from marketing_intel.webhooks.platform_time import to_datetime
from marketing_intel.webhooks.registry import secret_field_names, webhook_platform
from marketing_intel.webhooks.storable_text import storable_document, storable_text

STATUSES = ("ok", "failed", "pending", "cancelled", "test")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


@dataclass(frozen=True)
class NormalizedEvent:
    """The two lake rows of one event: `platform_event` (a `platform_events` row) and `raw` (an
    `integration_raw_data` row, personal data hashed or dropped, no secrets)."""

    platform_event: dict[str, Any]
    raw: dict[str, Any]


@dataclass
class EventFacts:
    """What a platform's `read` says about one event document (the `platform_events` row)."""

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
    reader = webhook_platform(platform)
    pseudonyms = _pseudonymizer(salt)
    # Text no store can hold is replaced, and the event flagged (see `storable_text` for why).
    document, text_replaced = storable_document(parse_object(event.body))
    facts = reader.read(document, event, pseudonyms)
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
        "campaign_id": id_text(facts.campaign_id),
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
        "body": dumps(reader.stored_body(_without_secret_fields(document), pseudonyms)),
        "body_sha256": sha256_hex(event.body),
        "verified": True,
    }
    return NormalizedEvent(platform_event, raw)


@lru_cache(maxsize=1024)
def _pseudonymizer(salt: bytes) -> Pseudonymizer:
    """One per tenant salt, kept: its HMAC key schedule is computed once."""
    return Pseudonymizer(salt)


def _without_secret_fields(document: dict[str, Any]) -> dict[str, Any]:
    secret = secret_field_names()
    return {name: value for name, value in document.items() if name not in secret}


def id_text(value: Any) -> str | None:
    """A platform id as exact text (ints are exact in Python; floats never reach here)."""
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        return None
    return str(value)


def _currency(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) and _CURRENCY.match(value) else None


def decimal_value(value: Any) -> Decimal | None:
    """`value` (an int, numeric text or Decimal) as a finite Decimal, else None."""
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


def _without_none(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if v is not None}


def text_value(value: Any) -> str:
    """`value` when it is text, else empty text."""
    return value if isinstance(value, str) else ""


def objects_in(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of a list, none when `value` is not a list."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def list_length(value: Any) -> int | None:
    """How many items a JSON list holds, None when `value` is not a list."""
    return len(value) if isinstance(value, list) else None


def status_of(event_type: str, type_status: Mapping[str, str], test: bool = False) -> str:
    """`test` for a test event, else the status `type_status` gives the event type (the
    platform's event types that are not ok by their nature), else ok."""
    return "test" if test else type_status.get(event_type, "ok")


def customer_hash(
    pseudonyms: Pseudonymizer, platform: str, customer_id: Any, email: Any = None
) -> str | None:
    """The hash of the platform's customer id, else of the email, else None."""
    if (text := id_text(customer_id)) is not None:
        return pseudonyms.hash(platform, text)
    if isinstance(email, str) and email:
        return pseudonyms.hash("email", email)
    return None
