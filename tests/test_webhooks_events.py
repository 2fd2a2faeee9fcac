"""Verified requests split into events and normalized into lake rows, from payloads shaped like
the providers' documented samples (tests/webhook_payloads/), each with planted personal data.

Each request is signed with the platform's own scheme, verified, split and normalized; the rows
must pass the lake's validation and land in a real embedded (DuckDB) lake exactly once however
often they are flushed, and no planted email, phone, name, address, IP or secret may appear in
any output row.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from marketing_intel.lake import DuckDBLake
from marketing_intel.lake.rows import validated_arrow
from marketing_intel.lake.schema import table_spec
from marketing_intel.webhooks import (
    InboundEvent,
    NormalizedEvent,
    SourceSecrets,
    WebhookRejected,
    normalize,
    split_events,
    verify,
)
from marketing_intel.webhooks.normalization import STATUSES, event_id_for
from marketing_intel.webhooks.personal_data import Pseudonymizer
from marketing_intel.webhooks.platforms.klaviyo import sign_klaviyo
from marketing_intel.webhooks.platforms.meta import sign_meta
from marketing_intel.webhooks.platforms.shopify import sign_shopify
from marketing_intel.webhooks.platforms.standard import sign_standard
from marketing_intel.webhooks.platforms.stripe import sign_stripe
from marketing_intel.webhooks.platforms.tiktok import sign_tiktok
from marketing_intel.webhooks.samples import sample_request, sample_secret

PAYLOADS = Path(__file__).parent / "webhook_payloads"
SECRET = "whsec_" + "c2lnbmluZy1rZXktZm9yLXRlc3RzLW9ubHktMzJi"
KLAVIYO_WEBHOOK_ID = "01JDWEBHOOK0000000000000000"
NOW = 1_763_654_500
RECEIVED = dt.datetime(2026, 11, 20, 16, 2, tzinfo=dt.UTC)
SALT = b"tenant-salt-for-tests"
PLANTED = (
    "zebulon",
    "quackenbush",
    "6135550199",
    "555-0199",
    "555 0199",
    "evergreen",
    "shelbyville",
    "k2p 1l4",
    "203.0.113.77",
    "shared-google-key-s3cr3t",
)
FIXTURES = {
    "shopify": "shopify_orders_create.json",
    "meta": "meta_leadgen_batch.json",
    "google_ads": "google_ads_lead.json",
    "tiktok": "tiktok_video_publish.json",
    "klaviyo": "klaviyo_batch.json",
    "stripe": "stripe_payment_intent_succeeded.json",
    "standard": "standard_user_created.json",
}


def body_of(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def signed_headers(platform: str, body: bytes) -> tuple[dict[str, str], SourceSecrets]:
    """The headers the platform would send with `body`, and the source's secrets."""
    secrets = SourceSecrets((SECRET,))
    if platform == "shopify":
        headers = {
            **sign_shopify(body, SECRET),
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
            "X-Shopify-Shop-Domain": "example-shop.myshopify.com",
            "X-Shopify-Triggered-At": "2026-11-20T20:57:12.000Z",
        }
    elif platform == "meta":
        headers = sign_meta(body, SECRET)
    elif platform == "google_ads":
        headers, secrets = {}, SourceSecrets(("shared-google-key-s3cr3t",))
    elif platform == "tiktok":
        headers = sign_tiktok(body, SECRET, timestamp=NOW)
    elif platform == "klaviyo":
        headers = sign_klaviyo(body, SECRET, webhook_id=KLAVIYO_WEBHOOK_ID, timestamp=str(NOW))
    elif platform == "stripe":
        headers = sign_stripe(body, SECRET, timestamp=NOW)
    else:
        headers = sign_standard(body, SECRET, webhook_id="msg_2x9Ltest", timestamp=NOW)
    headers = {**headers, "Content-Type": "application/json", "X-Forwarded-For": "203.0.113.77"}
    return headers, secrets


def receive(platform: str, body: bytes, tenant_id: str = "tenant-a") -> list[NormalizedEvent]:
    """What the bridge does: verify, split, then (in the flusher) normalize each event."""
    headers, secrets = signed_headers(platform, body)
    verify(platform, headers, body, secrets, now=NOW)
    events = split_events(platform, headers, body)
    return [
        normalize(
            platform,
            event,
            tenant_id=tenant_id,
            raw_id=f"raw-{platform}-{number}",
            received_at=RECEIVED,
            salt=SALT,
        )
        for number, event in enumerate(events)
    ]


def all_output(results: list[NormalizedEvent]) -> str:
    rows = [r.platform_event for r in results] + [r.raw for r in results]
    return json.dumps(rows, default=str).lower()


@pytest.mark.parametrize("platform", sorted(FIXTURES))
def test_rows_pass_the_lake_validation(platform: str) -> None:
    results = receive(platform, body_of(FIXTURES[platform]))
    assert results
    events = validated_arrow(table_spec("platform_events"), [r.platform_event for r in results])
    raws = validated_arrow(table_spec("integration_raw_data"), [r.raw for r in results])
    assert events.num_rows == raws.num_rows == len(results)
    for result in results:
        assert result.platform_event["status"] in STATUSES
        assert result.raw["verified"] is True
        json.loads(result.raw["body"])
        json.loads(result.platform_event["attributes"])


@pytest.mark.parametrize("platform", sorted(FIXTURES))
def test_no_planted_personal_data_or_secret_in_any_output_row(platform: str) -> None:
    body = body_of(FIXTURES[platform])
    assert "zebulon" in body.decode().lower()  # the fixture does carry the planted data
    headers, _ = signed_headers(platform, body)
    output = all_output(receive(platform, body))
    leaked = [planted for planted in PLANTED if planted in output]
    assert leaked == []
    signatures = [v.lower() for k, v in headers.items() if "signature" in k.lower() or "hmac" in k]
    assert not [s for s in signatures if s in output]
    assert "signature" not in output and "hmac" not in output


def test_stored_headers_drop_signatures_and_client_ips() -> None:
    body = body_of(FIXTURES["shopify"])
    [result] = receive("shopify", body)
    headers = json.loads(result.raw["headers"])
    assert headers["x-shopify-topic"] == "orders/create"
    assert headers["content-type"] == "application/json"
    assert "x-shopify-hmac-sha256" not in headers
    assert "x-forwarded-for" not in headers


def test_the_same_email_hashes_alike_everywhere_in_a_tenant_and_differs_across_tenants() -> None:
    email_hash = Pseudonymizer(SALT).hash("email", "ZEBULON.Quackenbush@example.org ")
    other_tenant = Pseudonymizer(b"another-salt").hash("email", "zebulon.quackenbush@example.org")
    [shopify] = receive("shopify", body_of(FIXTURES["shopify"]))
    [standard] = receive("standard", body_of(FIXTURES["standard"]))
    assert email_hash in shopify.raw["body"]
    assert email_hash in standard.raw["body"]
    assert other_tenant != email_hash


# --- Shopify ---------------------------------------------------------------------------------


def test_shopify_order_normalized() -> None:
    [result] = receive("shopify", body_of(FIXTURES["shopify"]))
    row = result.platform_event
    assert row["event_type"] == "order_created"
    assert row["status"] == "ok"
    assert row["value"] == Decimal("598.94")
    assert row["currency"] == "USD"
    assert row["occurred_at"] == dt.datetime(2026, 11, 20, 20, 57, 11, tzinfo=dt.UTC)
    assert row["customer_key"] == Pseudonymizer(SALT).hash("shopify", "115310627314723954")
    attributes = json.loads(row["attributes"])
    assert attributes["object_id"] == "820982911946154508"
    assert attributes["shopify_event_id"] == "98880550-7158-44d4-b7cd-2c97c8a091b5"
    body = json.loads(result.raw["body"])
    assert body["id"] == 820982911946154508  # exact in the stored JSON too
    assert body["line_items"][0]["name"] == "IPod Nano - 8GB"  # a product's name is kept
    assert body["billing_address"]["country_code"] == "CA"
    assert result.raw["topic"] == "orders/create"


def test_shopify_dedupe_key_is_the_webhook_id() -> None:
    body = body_of(FIXTURES["shopify"])
    headers, _ = signed_headers("shopify", body)
    [event] = split_events("shopify", headers, body)
    assert event.dedupe_key == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    assert event.body == body  # one event: the exact bytes
    assert event.topic == "orders/create"
    without = {k: v for k, v in headers.items() if k != "X-Shopify-Webhook-Id"}
    [derived] = split_events("shopify", without, body)
    assert derived.dedupe_key.startswith("sha256:")
    assert derived.dedupe_key == split_events("shopify", without, body)[0].dedupe_key


def test_shopify_test_and_cancelled_orders() -> None:
    order = json.loads(body_of(FIXTURES["shopify"]))
    test_body = json.dumps({**order, "test": True}).encode()
    [test_order] = receive("shopify", test_body)
    assert test_order.platform_event["status"] == "test"
    cancelled = json.dumps({**order, "cancelled_at": "2026-11-21T10:00:00Z"}).encode()
    assert receive("shopify", cancelled)[0].platform_event["status"] == "cancelled"


@pytest.mark.parametrize("price", ["1e40", "0.0000000001", "NaN", "ten dollars", 12.5])
def test_an_amount_the_lake_cannot_hold_is_left_out(price: object) -> None:
    order = json.loads(body_of(FIXTURES["shopify"]))
    [result] = receive("shopify", json.dumps({**order, "total_price": price}).encode())
    row = result.platform_event
    expected = Decimal("12.5") if price == 12.5 else None
    assert (row["value"], row["currency"]) == (expected, "USD" if expected else None)
    validated_arrow(table_spec("platform_events"), [row])


@pytest.mark.parametrize(
    ("transactions", "value"),
    [
        ([{"amount": "10.00", "currency": "CAD", "kind": "refund"}, {"amount": "2.50"}], "12.50"),
        (5, None),
        (["x", {"amount": "1.00", "currency": "CAD"}], "1.00"),
    ],
)
def test_shopify_refund_sums_its_transactions(transactions: Any, value: str | None) -> None:
    refund = {
        "id": 929361462,
        "order_id": 820982911946154508,
        "created_at": "2026-11-21T11:00:00-05:00",
        "note": "Zebulon changed his mind",
        "transactions": transactions,
    }
    body = json.dumps(refund).encode()
    headers = {**signed_headers("shopify", body)[0], "X-Shopify-Topic": "refunds/create"}
    [event] = split_events("shopify", headers, body)
    result = normalize("shopify", event, tenant_id="t", raw_id="r", received_at=RECEIVED, salt=SALT)
    row = result.platform_event
    assert row["event_type"] == "refund_created"
    assert row["value"] == (Decimal(value) if value else None)
    assert row["currency"] == ("CAD" if value else None)
    assert json.loads(row["attributes"])["order_id"] == "820982911946154508"
    assert "zebulon" not in all_output([result])


# --- Meta ------------------------------------------------------------------------------------


def test_meta_batch_becomes_one_event_per_change_with_exact_ids() -> None:
    body = body_of(FIXTURES["meta"])
    headers, _ = signed_headers("meta", body)
    events = split_events("meta", headers, body)
    assert [e.topic for e in events] == ["page.leadgen", "page.leadgen", "page.feed"]
    # 2**53 + 1 is not a float: a float parser would turn it into ...992
    assert events[0].dedupe_key == "leadgen:9007199254740993"
    assert events[1].dedupe_key == "leadgen:9007199254740995"
    assert events[2].dedupe_key.startswith("112233445566778:1763654460:feed:")
    assert b"9007199254740993" in events[0].body
    assert events[0].occurred_at == dt.datetime.fromtimestamp(1763654399, tz=dt.UTC)
    single = json.loads(events[0].body)
    assert len(single["entry"]) == 1 and len(single["entry"][0]["changes"]) == 1

    results = receive("meta", body)
    lead = results[0].platform_event
    assert lead["event_type"] == "lead"
    attributes = json.loads(lead["attributes"])
    assert attributes["leadgen_id"] == "9007199254740993"
    assert attributes["ad_id"] == "120210000000000001"
    assert attributes["adgroup_id"] == "120210000000000002"
    assert results[2].platform_event["event_type"] == "page_feed"
    assert len({r.platform_event["event_id"] for r in results}) == 3


def test_meta_retry_gives_the_same_keys_and_event_ids() -> None:
    body = body_of(FIXTURES["meta"])
    first, again = receive("meta", body), receive("meta", body)
    assert [r.platform_event["event_id"] for r in first] == [
        r.platform_event["event_id"] for r in again
    ]


def test_meta_single_change_keeps_the_exact_bytes() -> None:
    body = body_of("meta_ad_account.json")
    headers, _ = signed_headers("meta", body)
    [event] = split_events("meta", headers, body)
    assert event.body == body
    [result] = receive("meta", body)
    assert result.platform_event["event_type"] == "ad_issue"
    assert result.platform_event["status"] == "failed"
    assert json.loads(result.platform_event["attributes"])["object_id"] == "120210000000000009"


def test_meta_empty_batch_has_no_events() -> None:
    assert split_events("meta", {}, b'{"object":"page","entry":[]}') == []


# --- Google Ads ------------------------------------------------------------------------------


def test_google_ads_lead_without_the_key_and_with_hashed_contacts() -> None:
    body = body_of(FIXTURES["google_ads"])
    [event] = split_events("google_ads", {}, body)
    assert b"google_key" not in event.body
    assert event.dedupe_key.startswith("TeSter-123-")
    [result] = receive("google_ads", body)
    row = result.platform_event
    assert row["event_type"] == "lead"
    assert row["status"] == "ok"
    assert row["campaign_id"] == "21234567890"
    assert row["customer_key"] == Pseudonymizer(SALT).hash(
        "email", "zebulon.quackenbush@example.org"
    )
    answers = json.loads(result.raw["body"])["user_column_data"]
    by_column = {a["column_id"]: a for a in answers}
    assert by_column["EMAIL"]["string_value"] == row["customer_key"]
    assert by_column["PHONE_NUMBER"]["string_value"] == Pseudonymizer(SALT).hash(
        "phone", "+1 613 555 0199"
    )
    assert "string_value" not in by_column["FULL_NAME"]
    assert "string_value" not in by_column["STREET_ADDRESS"]


def test_google_ads_test_data_is_marked_test() -> None:
    lead = {**json.loads(body_of(FIXTURES["google_ads"])), "is_test": True}
    [result] = receive("google_ads", json.dumps(lead).encode())
    assert result.platform_event["status"] == "test"


# --- TikTok ----------------------------------------------------------------------------------


def test_tiktok_double_encoded_content_is_read_and_redacted() -> None:
    body = body_of(FIXTURES["tiktok"])
    [event] = split_events("tiktok", {}, body)
    assert event.topic == "video.publish.complete"
    assert event.dedupe_key.startswith("video.publish.complete:act.example12345")
    [result] = receive("tiktok", body)
    row = result.platform_event
    assert row["event_type"] == "video_published"
    assert json.loads(row["attributes"])["share_id"] == "video.6974245311675353080.VDCxrcMJ"
    stored = json.loads(result.raw["body"])
    content = json.loads(stored["content"])  # still a JSON string, as TikTok sent it
    assert content["publish_type"] == "DIRECT_PUBLISH"
    assert content["contact"] == Pseudonymizer(SALT).hash(
        "email", "zebulon.quackenbush@example.org"
    )


@pytest.mark.parametrize("content", ['"{not json"', "42", '"[1]"'])
def test_tiktok_content_that_is_not_a_json_object_is_malformed(content: str) -> None:
    body = f'{{"event":"video.publish.complete","content":{content}}}'.encode()
    with pytest.raises(WebhookRejected) as caught:
        split_events("tiktok", {}, body)
    assert caught.value.reason == "malformed_body"


# --- Klaviyo ---------------------------------------------------------------------------------


def test_klaviyo_batch_becomes_one_event_per_item_keyed_by_external_id() -> None:
    body = body_of(FIXTURES["klaviyo"])
    headers, _ = signed_headers("klaviyo", body)
    events = split_events("klaviyo", headers, body)
    assert [e.dedupe_key for e in events] == ["4vRpBT4zNx4", "5wSqCU5aOy5"]
    assert [e.topic for e in events] == [
        "event:klaviyo.opened_email",
        "event:klaviyo.bounced_email",
    ]
    assert json.loads(events[1].body)["meta"]["klaviyo_webhook_id"] == KLAVIYO_WEBHOOK_ID
    opened, bounced = (r.platform_event for r in receive("klaviyo", body))
    assert (opened["event_type"], opened["status"]) == ("email_opened", "ok")
    assert opened["campaign_id"] == "01JD9X5Y6Z7A8B9C0D1E2F3G4H"  # a campaign send
    assert (bounced["event_type"], bounced["status"]) == ("email_bounced", "failed")
    assert bounced["campaign_id"] is None  # a flow message is not a campaign
    assert opened["customer_key"] == Pseudonymizer(SALT).hash(
        "klaviyo", "01GDDKASAP8TKDDA2GRZDSVP4H"
    )
    assert opened["occurred_at"] == dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)


# --- Stripe ----------------------------------------------------------------------------------


def test_stripe_payment_normalized() -> None:
    body = body_of(FIXTURES["stripe"])
    [event] = split_events("stripe", {}, body)
    assert event.dedupe_key == "evt_3QXyZaLkdIwHu7ix0abcdEFG"
    [result] = receive("stripe", body)
    row = result.platform_event
    assert row["event_type"] == "payment_succeeded"
    assert (row["value"], row["currency"]) == (Decimal("20.00"), "USD")
    assert row["campaign_id"] == "120210000000000001"
    assert row["customer_key"] == Pseudonymizer(SALT).hash("stripe", "cus_QXyZa1b2c3d4e5")
    shipping = json.loads(result.raw["body"])["data"]["object"]["shipping"]
    assert shipping["address"] == {"country": "CA", "state": "ON"}


@pytest.mark.parametrize(
    ("currency", "amount", "value"),
    [
        ("jpy", 500, Decimal("500")),
        ("kwd", 1500, Decimal("1.500")),
        ("eur", 1999, Decimal("19.99")),
    ],
)
def test_stripe_minor_units_follow_the_currency(currency: str, amount: int, value: Decimal) -> None:
    event = json.loads(body_of(FIXTURES["stripe"]))
    event["data"]["object"].update(currency=currency, amount=amount, amount_received=amount)
    [result] = receive("stripe", json.dumps(event).encode())
    assert result.platform_event["value"] == value
    assert result.platform_event["currency"] == currency.upper()


def test_stripe_failures_and_test_mode() -> None:
    event = json.loads(body_of(FIXTURES["stripe"]))
    failed = {**event, "type": "payment_intent.payment_failed"}
    assert receive("stripe", json.dumps(failed).encode())[0].platform_event["status"] == "failed"
    test_mode = {**event, "livemode": False}
    assert receive("stripe", json.dumps(test_mode).encode())[0].platform_event["status"] == "test"
    unknown = {**event, "type": "radar.early_fraud_warning.created"}
    assert receive("stripe", json.dumps(unknown).encode())[0].platform_event["event_type"] == (
        "other"
    )


# --- Standard Webhooks -----------------------------------------------------------------------


def test_standard_webhook_normalized() -> None:
    body = body_of(FIXTURES["standard"])
    headers, _ = signed_headers("standard", body)
    [event] = split_events("standard", headers, body)
    assert event.dedupe_key == "msg_2x9Ltest"
    [result] = receive("standard", body)
    row = result.platform_event
    assert row["event_type"] == "user_created"
    assert row["occurred_at"] == dt.datetime(2026, 11, 20, 16, 0, 0, 344522, tzinfo=dt.UTC)
    assert json.loads(result.raw["body"])["data"]["plan"] == "pro"


# --- across platforms ------------------------------------------------------------------------


def test_event_id_depends_on_tenant_platform_and_key_only() -> None:
    assert event_id_for("t1", "stripe", "evt_1") == event_id_for("t1", "stripe", "evt_1")
    assert event_id_for("t1", "stripe", "evt_1") != event_id_for("t2", "stripe", "evt_1")
    assert event_id_for("t1", "stripe", "evt_1") != event_id_for("t1", "standard", "evt_1")
    a = receive("stripe", body_of(FIXTURES["stripe"]), tenant_id="t1")[0]
    b = receive("stripe", body_of(FIXTURES["stripe"]), tenant_id="t2")[0]
    assert a.platform_event["event_id"] != b.platform_event["event_id"]


def test_an_event_without_a_time_occurs_when_received() -> None:
    event = InboundEvent("k1", "lead_form", None, b'{"lead_id":"x"}', {})
    result = normalize(
        "google_ads", event, tenant_id="t", raw_id="r", received_at=RECEIVED, salt=SALT
    )
    assert result.platform_event["occurred_at"] == RECEIVED


@pytest.mark.parametrize(
    ("platform", "body"),
    [
        ("meta", b'{"entry": {"id": 1}}'),
        ("meta", b'{"entry": [{"changes": [1, 2]}]}'),
        ("klaviyo", b'{"data": "x"}'),
        ("stripe", b"[]"),
        ("standard", b"{bad"),
        ("shopify", b'{"a": NaN}'),
        ("shopify", b"\xff\xfe"),
        ("shopify", b"[" * 100 + b"]" * 100),
        ("stripe", b'{"a":' * 70 + b"1" + b"}" * 70),
    ],
)
def test_malformed_bodies_are_rejected(platform: str, body: bytes) -> None:
    with pytest.raises(WebhookRejected) as caught:
        split_events(platform, {}, body)
    assert (caught.value.reason, caught.value.status_code) == ("malformed_body", 400)


def test_unknown_platform_is_rejected_by_split_and_normalize() -> None:
    with pytest.raises(WebhookRejected) as caught:
        split_events("myspace", {}, b"{}")
    assert caught.value.status_code == 404
    event = InboundEvent("k", "t", None, b"{}", {})
    with pytest.raises(WebhookRejected):
        normalize("myspace", event, tenant_id="t", raw_id="r", received_at=RECEIVED, salt=SALT)


def test_a_missing_salt_is_refused() -> None:
    event = InboundEvent("k", "t", None, b"{}", {})
    with pytest.raises(ValueError, match="salt"):
        normalize("standard", event, tenant_id="t", raw_id="r", received_at=RECEIVED, salt=b"")


def test_rows_land_in_the_lake_once_however_often_they_are_flushed(lake: DuckDBLake) -> None:
    lake.apply_schema()
    results = [r for platform in FIXTURES for r in receive(platform, body_of(FIXTURES[platform]))]
    events = [r.platform_event for r in results]
    raws = [r.raw for r in results]
    first = lake.insert("platform_events", events)
    lake.insert("integration_raw_data", raws)
    again = [r for platform in FIXTURES for r in receive(platform, body_of(FIXTURES[platform]))]
    retried = lake.insert("platform_events", [r.platform_event for r in again])
    assert first.inserted == len(results) == 10
    assert retried.inserted == 0
    stored = lake.query(
        "SELECT platform, COUNT(*) AS n, COUNT(DISTINCT event_id) AS ids "
        "FROM platform_events GROUP BY platform ORDER BY platform",
        tenant_id="tenant-a",
    ).rows()
    counts: dict[str, Any] = {row["platform"]: (row["n"], row["ids"]) for row in stored}
    assert counts == {
        "google_ads": (1, 1),
        "klaviyo": (2, 2),
        "meta": (3, 3),
        "shopify": (1, 1),
        "standard": (1, 1),
        "stripe": (1, 1),
        "tiktok": (1, 1),
    }
    leads = lake.query(
        "SELECT JSON_VALUE(attributes, '$.leadgen_id') AS leadgen_id FROM platform_events "
        "WHERE event_type = 'lead' AND platform = 'meta' ORDER BY leadgen_id",
        tenant_id="tenant-a",
    ).rows()
    assert [row["leadgen_id"] for row in leads] == ["9007199254740993", "9007199254740995"]


# --- the sample requests the bridge's load generator sends ----------------------------------


@pytest.mark.parametrize("platform", sorted(FIXTURES))
def test_sample_requests_verify_and_are_distinct_events(platform: str) -> None:
    secret = sample_secret(platform)
    keys = set()
    for number in range(3):
        request = sample_request(platform, number, secret, timestamp=NOW)
        verify(platform, request.headers, request.body, SourceSecrets((secret,)), now=NOW)
        [event] = split_events(platform, request.headers, request.body)
        keys.add(event.dedupe_key)
        result = normalize(
            platform, event, tenant_id="t", raw_id=f"r{number}", received_at=RECEIVED, salt=SALT
        )
        validated_arrow(table_spec("platform_events"), [result.platform_event])
        validated_arrow(table_spec("integration_raw_data"), [result.raw])
        assert "@example.com" not in all_output([result])
    assert len(keys) == 3
    again = sample_request(platform, 1, secret, timestamp=NOW)
    [duplicate] = split_events(platform, again.headers, again.body)
    assert duplicate.dedupe_key in keys


# --- wrong types anywhere: a clear rejection or valid rows, never a crash -------------------

ODD_VALUES: list[Any] = [None, 7, "x", [], {}, True, [1], {"a": 1}, "2026-13-45"]


def _paths(value: Any, prefix: tuple[Any, ...] = (), depth: int = 4) -> list[tuple[Any, ...]]:
    if depth == 0:
        return []
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value[:2])
        if isinstance(value, list)
        else []
    )
    paths = []
    for key, child in children:
        paths.append((*prefix, key))
        paths.extend(_paths(child, (*prefix, key), depth - 1))
    return paths


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(document))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


@pytest.mark.parametrize("platform", sorted(FIXTURES))
def test_a_value_of_the_wrong_type_anywhere_is_rejected_or_normalized(platform: str) -> None:
    document = json.loads(body_of(FIXTURES[platform]))
    if platform == "tiktok":  # reach into the double-encoded content too
        document["content"] = json.loads(document["content"])
    headers, _ = signed_headers(platform, b"{}")
    checked, reasons = 0, set()
    for path in _paths(document):
        for odd in ODD_VALUES:
            mutated = _replaced(document, path, odd)
            if platform == "tiktok" and isinstance(mutated.get("content"), dict | list):
                mutated["content"] = json.dumps(mutated["content"])
            try:
                events = split_events(platform, headers, json.dumps(mutated).encode())
                results = [
                    normalize(
                        platform, e, tenant_id="t", raw_id="r", received_at=RECEIVED, salt=SALT
                    )
                    for e in events
                ]
            except WebhookRejected as rejected:
                reasons.add(rejected.reason)
                continue
            validated_arrow(table_spec("platform_events"), [r.platform_event for r in results])
            validated_arrow(table_spec("integration_raw_data"), [r.raw for r in results])
            checked += 1
    assert checked > 50
    assert reasons <= {"malformed_body"}
