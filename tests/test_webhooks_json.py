"""JSON of webhook bodies read and written without floats, request headers looked up safely, and
the personal-data rules by key."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from starlette.datastructures import Headers

from marketing_intel.webhooks import WebhookRejected, split_events
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.json_text import MAX_DEPTH, dumps, parse_object
from marketing_intel.webhooks.personal_data import Pseudonymizer


def test_numbers_round_trip_with_their_exact_digits() -> None:
    text = '{"id":9007199254740993,"price":19.990,"big":1E+400,"tiny":1e-7,"list":[0.1,{"x":2.50}]}'
    document = parse_object(text.encode())
    assert document["id"] == 9007199254740993
    assert document["price"] == Decimal("19.990")
    assert dumps(document) == text.replace("1e-7", "1E-7")


def test_written_text_is_valid_json_with_quotes_unicode_and_order_kept() -> None:
    document = {"b": 'say "hi"\n', "a": "é ✓", "n": None, "t": True, "d": Decimal("-0.5")}
    text = dumps(document)
    assert list(json.loads(text)) == ["b", "a", "n", "t", "d"]
    assert json.loads(text, parse_float=Decimal) == document


def test_a_string_cannot_pose_as_a_number() -> None:
    document = {"s": "1.5", "d": Decimal("1.5")}
    assert json.loads(dumps(document)) == {"s": "1.5", "d": 1.5}


def test_other_types_are_refused_when_written() -> None:
    with pytest.raises(TypeError):
        dumps({"x": object()})


def test_nesting_up_to_the_limit_is_accepted_and_deeper_refused() -> None:
    at_limit = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    parse_object(f'{{"a":{at_limit}}}'.encode())
    too_deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    with pytest.raises(WebhookRejected) as caught:
        parse_object(f'{{"a":{too_deep}}}'.encode())
    assert caught.value.reason == "malformed_body"
    # many brackets but shallow: accepted
    parse_object(json.dumps({"rows": [[i] for i in range(500)]}).encode())


def test_stored_headers_keep_transport_headers_only() -> None:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Shopify-Captain-Hook",
        "Authorization": "Bearer abc",
        "Cookie": "session=1",
        "X-Forwarded-For": "203.0.113.7",
        "X-Custom-Token": "t",
        "Stripe-Signature": "t=1,v1=ab",
    }
    assert HeaderView(headers).storable() == {
        "content-type": "application/json",
        "user-agent": "Shopify-Captain-Hook",
    }


def test_a_duplicated_dedupe_header_is_refused_by_split() -> None:
    raw = [(b"webhook-id", b"msg_1"), (b"webhook-id", b"msg_2")]
    with pytest.raises(WebhookRejected) as caught:
        split_events("standard", Headers(raw=raw), b'{"type":"x"}')
    assert (caught.value.reason, caught.value.status_code) == ("duplicate_header", 400)


def test_a_duplicated_header_nobody_relies_on_is_kept_once() -> None:
    raw = [(b"accept", b"a"), (b"accept", b"b"), (b"webhook-id", b"msg_1")]
    [event] = split_events("standard", Headers(raw=raw), b'{"type":"x"}')
    assert event.headers["accept"] == "a"
    assert event.dedupe_key == "msg_1"


def test_personal_data_rules_by_key() -> None:
    pseudonyms = Pseudonymizer(b"salt")
    document = {
        "billing_phone": "+1 613 555 0199",
        "remote_ip": "203.0.113.9",
        "note_text": "write to Jane.Doe@Example.com today",
        "Email Domain": "example.com",
        "address": "1 Main St",
        "customer": {"id": 42, "display_name": "Jane Doe", "tags": ["vip"]},
        "line_items": [{"name": "Blue mug", "price": "9.00"}],
        "first_name": "Jane",
        "phone_verified": True,
    }
    redacted = pseudonyms.redact(document)
    assert redacted == {
        "billing_phone": pseudonyms.hash("phone", "+16135550199"),
        "remote_ip": pseudonyms.hash("ip", "203.0.113.9"),
        "note_text": f"write to {pseudonyms.hash('email', 'jane.doe@example.com')} today",
        "Email Domain": "example.com",
        "customer": {"id": 42, "tags": ["vip"]},
        "line_items": [{"name": "Blue mug", "price": "9.00"}],
        "phone_verified": None,
    }
    assert document["first_name"] == "Jane"  # the input is not changed
