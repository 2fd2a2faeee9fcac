"""What a webhook platform is to the bridge: one protocol, implemented once per platform.

Each platform lives in one module of `marketing_intel.webhooks.platforms` that exports `PLATFORM`,
an object satisfying `WebhookPlatform`; `marketing_intel.webhooks.registry` discovers them. The
shared machinery stays outside the platform modules: header lookup (`headers`), JSON parsing
(`json_text`), constant-time signature checks and the replay window (`verification`), the dedupe
key rules (`events`), the lake row and its value types (`normalization`), personal data
(`personal_data`), text the stores can hold (`storable_text`) and platform times (`platform_time`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from marketing_intel.webhooks.rejections import WebhookRejected

if TYPE_CHECKING:
    from marketing_intel.webhooks.events import InboundEvent
    from marketing_intel.webhooks.headers import HeaderView
    from marketing_intel.webhooks.normalization import EventFacts
    from marketing_intel.webhooks.personal_data import Pseudonymizer
    from marketing_intel.webhooks.verification import SourceSecrets


@dataclass(frozen=True)
class SignedRequest:
    """A request as the platform would send it: headers (signature included) and raw body."""

    headers: dict[str, str]
    body: bytes


@runtime_checkable
class WebhookPlatform(Protocol):
    """One platform's webhooks: how they are signed, split into events and read into lake rows.

    Subclass it (the defaults below then apply) and export an instance as the module's `PLATFORM`.
    """

    name: str
    """The platform's name in URLs (`/v1/webhooks/<name>/<source>`), the lake and metrics."""
    title: str
    """How people write it ("Google Ads"): in error messages."""
    signature_headers: frozenset[str]
    """Lower-cased headers that carry its signature: read to verify, never stored (on any
    platform's events: a stray signature is a secret wherever it arrives)."""
    secret_fields: frozenset[str] = frozenset()
    """Top-level body fields that carry a credential (Google's `google_key`): never stored in the
    lake, whichever platform's event carries them (a relay may forward such a body as is)."""
    order: int = 100
    """Where it appears in lists (error messages, `mi sources platforms`, benches); the built-ins
    keep the order they were added in, a new platform comes after them unless it says so."""
    handshake: bool = False
    """Whether the platform checks the endpoint with a GET handshake and a verify token (Meta):
    its sources get a verify token and the bridge answers the GET with `answer_handshake`."""

    def verify(self, headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
        """Return when the raw `body` carries a valid signature by one of `keys` (compared in
        constant time, before any JSON parsing); raise `WebhookRejected` otherwise. `now` is
        Unix seconds, for schemes with a signed timestamp."""
        ...

    def split(
        self, headers: HeaderView, body: bytes, document: dict[str, Any]
    ) -> list[InboundEvent]:
        """The events of a verified request whose body parsed to `document`, each with its dedupe
        key (a retry must give the same key); `malformed_body` when it is not this platform's
        shape. A batch with no items gives an empty list."""
        ...

    def read(
        self, document: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer
    ) -> EventFacts:
        """What the lake's `platform_events` row says about one event: its type, status, time,
        campaign, customer key (hashed with `pseudonyms`), value and non-personal attributes."""
        ...

    def sign(self, body: bytes, secret: str, *, timestamp: int, delivery_id: str) -> SignedRequest:
        """The signature headers (and the body, for a platform that puts its key inside it) a
        sender adds to `body`, signed at `timestamp`; `delivery_id` names the delivery where the
        scheme signs one. For tests, the demo and the bridge's load generator."""
        ...

    def sample(self, number: int, timestamp: int) -> SignedRequest:
        """Unsigned request `number`, shaped like the platform's documented samples (with a
        made-up customer email so redaction is exercised), at `timestamp`: each number is a
        distinct event with its own dedupe key."""
        ...

    @property
    def sample_secret(self) -> str:
        """A fixed secret in the form the platform uses, for samples."""
        return f"sample-{self.name}-secret"

    def new_secret(self) -> str:
        """A new random signing secret in the form the platform's scheme expects."""
        return secrets.token_urlsafe(32)

    def stored_body(self, document: dict[str, Any], pseudonyms: Pseudonymizer) -> Any:
        """The event's document as `integration_raw_data.body` keeps it: personal data hashed
        or dropped (every platform's `secret_fields` are already gone)."""
        return pseudonyms.redact(document)

    def answer_handshake(self, query: Mapping[str, str], secrets: SourceSecrets) -> str:
        """The text to answer the platform's GET handshake with (when `handshake` is set)."""
        raise WebhookRejected("malformed_handshake", f"{self.title} has no GET handshake.")
