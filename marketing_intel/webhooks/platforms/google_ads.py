"""Google Ads lead forms: nothing is signed; the shared key travels as `google_key` inside the
JSON body (compared in constant time) and never reaches the inbox or the lake.

Dedupe key: `lead_id`. Event type: every submission is `lead`; "Send test data" leads
(`is_test`) are `test`. The lead's answers (`user_column_data`) are personal data: email and
phone are hashed (the email's hash, else the phone's, is the customer key), the rest dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from marketing_intel.webhooks.events import InboundEvent, event_key, json_bytes, single_event
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.json_text import parse_object
from marketing_intel.webhooks.normalization import EventFacts, id_text, status_of
from marketing_intel.webhooks.personal_data import Pseudonymizer
from marketing_intel.webhooks.platform import SignedRequest, WebhookPlatform
from marketing_intel.webhooks.rejections import WebhookRejected
from marketing_intel.webhooks.samples import sample_body
from marketing_intel.webhooks.verification import check_signature

_KEY_FIELD = "google_key"


def google_ads_body(payload: Mapping[str, Any], google_key: str) -> bytes:
    """A Google Ads lead form body: the payload with the shared `google_key` set in it."""
    return json.dumps({**payload, _KEY_FIELD: google_key}).encode()


def _without_key(document: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name != _KEY_FIELD}


class GoogleAds(WebhookPlatform):
    """Google Ads lead form webhooks."""

    name = "google_ads"
    title = "Google Ads"
    signature_headers: frozenset[str] = frozenset()
    secret_fields = frozenset({_KEY_FIELD})
    order = 3

    def verify(self, headers: HeaderView, body: bytes, keys: tuple[str, ...], now: float) -> None:
        """The body's `google_key` must equal one of `keys`."""
        # Google signs nothing: the shared key travels inside the JSON body.
        received = parse_object(body).get(_KEY_FIELD)
        if not isinstance(received, str) or not received:
            raise WebhookRejected("missing_signature", "The lead's google_key field is missing.")
        check_signature([received], keys, "Google Ads google_key")

    def split(
        self, headers: HeaderView, body: bytes, document: dict[str, Any]
    ) -> list[InboundEvent]:
        """The lead, without its key; its numbers are written back exactly."""
        lead = _without_key(document)
        lead_body = json_bytes(lead)
        key = event_key(lead.get("lead_id"), lead_body)
        return single_event(headers, lead_body, key, "lead_form", lead.get("lead_submit_time"))

    def read(
        self, document: dict[str, Any], event: InboundEvent, pseudonyms: Pseudonymizer
    ) -> EventFacts:
        """The lead's campaign, ids and hashed contact."""
        doc = document
        answers = doc.get("user_column_data")
        contact = pseudonyms.contact_value(answers, "email") or pseudonyms.contact_value(
            answers, "phone"
        )
        return EventFacts(
            event_type="lead",
            status=status_of("lead", {}, doc.get("is_test") is True),
            occurred=doc.get("lead_submit_time"),
            campaign_id=doc.get("campaign_id"),
            customer_key=contact,
            attributes={
                "lead_id": id_text(doc.get("lead_id")),
                "form_id": id_text(doc.get("form_id")),
                "adgroup_id": id_text(doc.get("adgroup_id")),
                "creative_id": id_text(doc.get("creative_id")),
                "asset_group_id": id_text(doc.get("asset_group_id")),
                "gcl_id": id_text(doc.get("gcl_id")),
                "api_version": doc.get("api_version"),
            },
        )

    def sign(self, body: bytes, secret: str, *, timestamp: int, delivery_id: str) -> SignedRequest:
        """No header: the key is set in the body."""
        return SignedRequest({}, google_ads_body(json.loads(body), secret))

    def sample(self, number: int, timestamp: int) -> SignedRequest:
        """A lead with an email answer."""
        lead = {
            "lead_id": f"sample-lead-{number}",
            "api_version": "1.0",
            "form_id": 40000000001,
            "campaign_id": 21234567890,
            "adgroup_id": 20000000002,
            "creative_id": 30000000003,
            "is_test": False,
            "user_column_data": [
                {
                    "column_id": "EMAIL",
                    "column_name": "User Email",
                    "string_value": f"lead{number}@example.com",
                }
            ],
        }
        return SignedRequest({"Content-Type": "application/json"}, sample_body(lead))


PLATFORM = GoogleAds()
