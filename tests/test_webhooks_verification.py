"""Webhook verifiers: the published vectors of Standard Webhooks and Shopify, and signatures
computed here (with the senders' schemes in `marketing_intel.webhooks.platforms`) for the others.
Every rejection reason has a case in `REJECTIONS`, and a test checks none is left out."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from starlette.datastructures import Headers

from marketing_intel.errors import MarketingIntelError
from marketing_intel.webhooks import (
    REASON_STATUS,
    SourceSecrets,
    WebhookRejected,
    meta_challenge,
    verify,
)
from marketing_intel.webhooks.platforms.google_ads import google_ads_body
from marketing_intel.webhooks.platforms.klaviyo import sign_klaviyo
from marketing_intel.webhooks.platforms.meta import sign_meta
from marketing_intel.webhooks.platforms.shopify import shopify_signature, sign_shopify
from marketing_intel.webhooks.platforms.standard import standard_signature
from marketing_intel.webhooks.platforms.stripe import sign_stripe
from marketing_intel.webhooks.platforms.tiktok import sign_tiktok

NOW = 1_700_000_000
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STANDARD_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
STANDARD_TIMESTAMP = 1614265330
STANDARD_BODY = b'{"test": 2432232314}'
STANDARD_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
SHOPIFY_BODY = b'{"foo": "bar"}'
SHOPIFY_SIGNATURE = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
KLAVIYO_BODY = json.dumps(
    {"data": [], "meta": {"klaviyo_account_id": "AbC123", "klaviyo_webhook_id": "wh_1"}}
).encode()


def secrets(*values: str, verify_token: str | None = None) -> SourceSecrets:
    return SourceSecrets(secrets=values, verify_token=verify_token)


def rejection(call: Callable[[], object]) -> WebhookRejected:
    with pytest.raises(WebhookRejected) as caught:
        call()
    return caught.value


def standard_headers(signature: str = STANDARD_SIGNATURE, **overrides: str) -> dict[str, str]:
    headers = {
        "webhook-id": STANDARD_ID,
        "webhook-timestamp": str(STANDARD_TIMESTAMP),
        "webhook-signature": signature,
    }
    return {**headers, **overrides}


# --- the published vectors -------------------------------------------------------------------


def test_standard_webhooks_published_vector_verifies() -> None:
    verify(
        "standard",
        standard_headers(),
        STANDARD_BODY,
        secrets(STANDARD_SECRET),
        now=STANDARD_TIMESTAMP,
    )
    assert standard_signature(
        STANDARD_SECRET, STANDARD_ID, str(STANDARD_TIMESTAMP), STANDARD_BODY
    ) == (STANDARD_SIGNATURE)


def test_shopify_published_vector_verifies() -> None:
    headers = {"X-Shopify-Hmac-Sha256": SHOPIFY_SIGNATURE}
    verify("shopify", headers, SHOPIFY_BODY, secrets("test_secret_key"), now=NOW)
    assert shopify_signature("test_secret_key", SHOPIFY_BODY) == SHOPIFY_SIGNATURE


def test_a_changed_byte_of_the_body_fails_the_published_vectors() -> None:
    shopify = rejection(
        lambda: verify(
            "shopify",
            {"X-Shopify-Hmac-Sha256": SHOPIFY_SIGNATURE},
            b'{"foo":"bar"}',  # same JSON, other bytes: verification is on raw bytes
            secrets("test_secret_key"),
        )
    )
    standard = rejection(
        lambda: verify(
            "standard",
            standard_headers(),
            b'{"test": 2432232315}',
            secrets(STANDARD_SECRET),
            now=STANDARD_TIMESTAMP,
        )
    )
    assert (shopify.reason, shopify.status_code) == ("bad_signature", 401)
    assert standard.reason == "bad_signature"


# --- several secrets, several signatures, header spelling ----------------------------------


@pytest.mark.parametrize(
    "name", ["X-Shopify-Hmac-Sha256", "x-shopify-hmac-sha256", "X-SHOPIFY-HMAC-SHA256"]
)
def test_header_names_match_in_any_case(name: str) -> None:
    verify("shopify", {name: SHOPIFY_SIGNATURE}, SHOPIFY_BODY, secrets("test_secret_key"))


def test_shopify_accepts_the_old_secret_during_rotation() -> None:
    headers = sign_shopify(SHOPIFY_BODY, "old-secret")
    verify("shopify", headers, SHOPIFY_BODY, secrets("new-secret", "old-secret"))
    after_grace = rejection(lambda: verify("shopify", headers, SHOPIFY_BODY, secrets("new-secret")))
    assert after_grace.reason == "bad_signature"


def test_standard_webhooks_any_of_several_signatures_and_secrets_may_match() -> None:
    other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
    bogus = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    listed = f"v1a,ignored {bogus} {STANDARD_SIGNATURE}"
    verify(
        "standard",
        standard_headers(listed),
        STANDARD_BODY,
        secrets(other, STANDARD_SECRET),
        now=STANDARD_TIMESTAMP,
    )
    # a secret without the whsec_ prefix is the same key
    bare = STANDARD_SECRET.removeprefix("whsec_")
    verify("standard", standard_headers(), STANDARD_BODY, secrets(bare), now=STANDARD_TIMESTAMP)


@pytest.mark.parametrize("skew", [-300, 300])
def test_standard_webhooks_accepts_the_edges_of_the_window(skew: int) -> None:
    verify(
        "standard",
        standard_headers(),
        STANDARD_BODY,
        secrets(STANDARD_SECRET),
        now=STANDARD_TIMESTAMP + skew,
    )


@pytest.mark.parametrize("skew", [-301, 301])
def test_standard_webhooks_refuses_outside_the_window(skew: int) -> None:
    error = rejection(
        lambda: verify(
            "standard",
            standard_headers(),
            STANDARD_BODY,
            secrets(STANDARD_SECRET),
            now=STANDARD_TIMESTAMP + skew,
        )
    )
    assert error.reason == "stale_timestamp"


def test_meta_signature_verifies_with_either_hex_case() -> None:
    body = b'{"object":"page","entry":[]}'
    headers = sign_meta(body, "app-secret")
    verify("meta", headers, body, secrets("app-secret"))
    upper = {"X-Hub-Signature-256": "sha256=" + headers["X-Hub-Signature-256"][7:].upper()}
    verify("meta", upper, body, secrets("app-secret"))


def test_google_ads_key_in_the_body_verifies() -> None:
    body = google_ads_body({"lead_id": "abc", "form_id": 40000000000}, "shared-key")
    verify("google_ads", {}, body, secrets("other-key", "shared-key"))


def test_tiktok_signature_verifies_and_expires() -> None:
    body = b'{"event":"video.publish.complete","content":"{}"}'
    headers = sign_tiktok(body, "client-secret", timestamp=NOW)
    verify("tiktok", headers, body, secrets("client-secret"), now=NOW + 300)
    late = rejection(
        lambda: verify("tiktok", headers, body, secrets("client-secret"), now=NOW + 301)
    )
    assert late.reason == "stale_timestamp"


@pytest.mark.parametrize("stamp", [str(NOW), "2023-11-14T22:13:20+00:00", "2023-11-14T22:13:20Z"])
def test_klaviyo_signature_verifies_with_unix_or_iso_timestamp(stamp: str) -> None:
    headers = sign_klaviyo(KLAVIYO_BODY, "klaviyo-secret", webhook_id="wh_1", timestamp=stamp)
    verify("klaviyo", headers, KLAVIYO_BODY, secrets("klaviyo-secret"), now=NOW)


def test_klaviyo_timestamp_is_signed() -> None:
    headers = sign_klaviyo(KLAVIYO_BODY, "klaviyo-secret", webhook_id="wh_1", timestamp=str(NOW))
    headers["Klaviyo-Timestamp"] = str(NOW + 1)
    error = rejection(
        lambda: verify("klaviyo", headers, KLAVIYO_BODY, secrets("klaviyo-secret"), now=NOW)
    )
    assert error.reason == "bad_signature"


def test_stripe_any_v1_may_match_during_a_secret_roll() -> None:
    body = b'{"id":"evt_1","type":"payment_intent.succeeded"}'
    headers = sign_stripe(body, "whsec_old", "whsec_new", timestamp=NOW)
    assert headers["Stripe-Signature"].count("v1=") == 2
    verify("stripe", headers, body, secrets("whsec_new"), now=NOW)
    verify("stripe", headers, body, secrets("whsec_old"), now=NOW)
    with_v0 = {"Stripe-Signature": headers["Stripe-Signature"] + ",v0=deadbeef"}
    verify("stripe", with_v0, body, secrets("whsec_new"), now=NOW)


def test_the_stripe_key_is_the_whsec_string_as_is() -> None:
    body = b'{"id":"evt_1"}'
    stamp = str(NOW)
    import hashlib
    import hmac

    expected = hmac.new(b"whsec_abc", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Stripe-Signature": f"t={stamp},v1={expected}"}
    verify("stripe", headers, body, secrets("whsec_abc"), now=NOW)


def test_meta_challenge_echoes_the_challenge_for_the_right_token() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert meta_challenge(query, secrets("app", verify_token="tok")) == "1158201444"


def test_a_rejection_is_a_user_facing_error_without_the_secret() -> None:
    error = rejection(
        lambda: verify(
            "shopify",
            sign_shopify(SHOPIFY_BODY, "wrong"),
            SHOPIFY_BODY,
            secrets("super-secret-value"),
        )
    )
    assert isinstance(error, MarketingIntelError)
    assert "super-secret-value" not in str(error)


def test_an_unknown_reason_code_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown rejection reason"):
        WebhookRejected("no_such_reason", "x")


# --- every rejection reason ------------------------------------------------------------------


def _stripe(header: str, now: int = NOW) -> Callable[[], object]:
    return lambda: verify(
        "stripe", {"Stripe-Signature": header}, b"{}", secrets("whsec_x"), now=now
    )


def _klaviyo_other_id() -> None:
    headers = sign_klaviyo(KLAVIYO_BODY, "k", webhook_id="wh_2", timestamp=str(NOW))
    verify("klaviyo", headers, KLAVIYO_BODY, secrets("k"), now=NOW)


def _duplicated_signature() -> None:
    raw = [
        (b"x-shopify-hmac-sha256", SHOPIFY_SIGNATURE.encode()),
        (b"x-shopify-hmac-sha256", b"forged"),
    ]
    verify("shopify", Headers(raw=raw), SHOPIFY_BODY, secrets("test_secret_key"))


def _duplicated_by_case() -> None:
    headers = {"X-Shopify-Hmac-Sha256": SHOPIFY_SIGNATURE, "x-shopify-hmac-sha256": "forged"}
    verify("shopify", headers, SHOPIFY_BODY, secrets("test_secret_key"))


STRIPE_OK = sign_stripe(b"{}", "whsec_x", timestamp=NOW)["Stripe-Signature"]
HANDSHAKE = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "42"}

REJECTIONS: list[tuple[str, str, Callable[[], object]]] = [
    ("missing_signature", "shopify", lambda: verify("shopify", {}, b"{}", secrets("s"))),
    (
        "missing_signature",
        "meta",
        lambda: verify("meta", {"x-hub-signature-256": " "}, b"{}", secrets("s")),
    ),
    (
        "missing_signature",
        "google_ads",
        lambda: verify("google_ads", {}, b'{"lead_id":"1"}', secrets("k")),
    ),
    (
        "missing_signature",
        "klaviyo without timestamp",
        lambda: verify(
            "klaviyo",
            {"klaviyo-signature": "ab", "klaviyo-webhook-id": "wh_1"},
            KLAVIYO_BODY,
            secrets("k"),
        ),
    ),
    (
        "missing_signature",
        "standard without id",
        lambda: verify(
            "standard",
            {"webhook-timestamp": "1", "webhook-signature": STANDARD_SIGNATURE},
            STANDARD_BODY,
            secrets(STANDARD_SECRET),
        ),
    ),
    (
        "malformed_signature_header",
        "meta without sha256=",
        lambda: verify("meta", {"X-Hub-Signature-256": "abc"}, b"{}", secrets("s")),
    ),
    ("malformed_signature_header", "stripe without v1", _stripe(f"t={NOW},v0=abc")),
    ("malformed_signature_header", "stripe without t", _stripe("v1=abc")),
    ("malformed_signature_header", "stripe with two t", _stripe(f"t={NOW},t={NOW},v1=abc")),
    ("malformed_signature_header", "stripe not key=value", _stripe("garbage")),
    (
        "malformed_signature_header",
        "tiktok without s",
        lambda: verify("tiktok", {"TikTok-Signature": f"t={NOW}"}, b"{}", secrets("s"), now=NOW),
    ),
    (
        "malformed_signature_header",
        "standard non-numeric timestamp",
        lambda: verify(
            "standard",
            standard_headers(**{"webhook-timestamp": "soon"}),
            STANDARD_BODY,
            secrets(STANDARD_SECRET),
        ),
    ),
    (
        "malformed_signature_header",
        "standard without v1",
        lambda: verify(
            "standard",
            standard_headers("v2,abc"),
            STANDARD_BODY,
            secrets(STANDARD_SECRET),
            now=STANDARD_TIMESTAMP,
        ),
    ),
    (
        "malformed_signature_header",
        "klaviyo timestamp not a time",
        lambda: verify(
            "klaviyo",
            sign_klaviyo(KLAVIYO_BODY, "k", webhook_id="wh_1", timestamp="yesterday"),
            KLAVIYO_BODY,
            secrets("k"),
        ),
    ),
    (
        "bad_signature",
        "meta",
        lambda: verify("meta", sign_meta(b"{}", "other"), b"{}", secrets("s")),
    ),
    (
        "bad_signature",
        "google_ads",
        lambda: verify("google_ads", {}, google_ads_body({}, "guess"), secrets("k")),
    ),
    (
        "bad_signature",
        "tiktok",
        lambda: verify(
            "tiktok",
            sign_tiktok(b"{}", "other", timestamp=NOW),
            b"{}",
            secrets("s"),
            now=NOW,
        ),
    ),
    (
        "bad_signature",
        "stripe",
        lambda: verify(
            "stripe", {"Stripe-Signature": STRIPE_OK}, b"{ }", secrets("whsec_x"), now=NOW
        ),
    ),
    (
        "bad_signature",
        "standard",
        lambda: verify(
            "standard",
            standard_headers(),
            STANDARD_BODY,
            secrets("whsec_QUJD"),
            now=STANDARD_TIMESTAMP,
        ),
    ),
    ("stale_timestamp", "stripe", _stripe(STRIPE_OK, now=NOW + 301)),
    (
        "stale_timestamp",
        "klaviyo",
        lambda: verify(
            "klaviyo",
            sign_klaviyo(KLAVIYO_BODY, "k", webhook_id="wh_1", timestamp=str(NOW)),
            KLAVIYO_BODY,
            secrets("k"),
            now=NOW - 301,
        ),
    ),
    ("webhook_id_mismatch", "klaviyo", _klaviyo_other_id),
    ("duplicate_header", "starlette headers", _duplicated_signature),
    ("duplicate_header", "two spellings", _duplicated_by_case),
    (
        "malformed_body",
        "google_ads not JSON",
        lambda: verify("google_ads", {}, b"{not json", secrets("k")),
    ),
    (
        "malformed_body",
        "google_ads not an object",
        lambda: verify("google_ads", {}, b"[1, 2]", secrets("k")),
    ),
    (
        "malformed_handshake",
        "mode",
        lambda: meta_challenge(
            {**HANDSHAKE, "hub.mode": "unsubscribe"}, secrets("a", verify_token="tok")
        ),
    ),
    (
        "malformed_handshake",
        "no challenge",
        lambda: meta_challenge(
            {"hub.mode": "subscribe", "hub.verify_token": "tok"}, secrets("a", verify_token="tok")
        ),
    ),
    (
        "malformed_handshake",
        "markup challenge",
        lambda: meta_challenge(
            {**HANDSHAKE, "hub.challenge": "<script>"}, secrets("a", verify_token="tok")
        ),
    ),
    (
        "bad_verify_token",
        "wrong",
        lambda: meta_challenge(
            {**HANDSHAKE, "hub.verify_token": "guess"}, secrets("a", verify_token="tok")
        ),
    ),
    (
        "bad_verify_token",
        "absent",
        lambda: meta_challenge(
            {"hub.mode": "subscribe", "hub.challenge": "42"}, secrets("a", verify_token="tok")
        ),
    ),
    ("unknown_platform", "verify", lambda: verify("myspace", {}, b"{}", secrets("s"))),
    (
        "misconfigured_source",
        "no secrets",
        lambda: verify("shopify", sign_shopify(b"{}", ""), b"{}", secrets()),
    ),
    (
        "misconfigured_source",
        "empty secret",
        lambda: verify("stripe", {"Stripe-Signature": STRIPE_OK}, b"{}", secrets("")),
    ),
    (
        "misconfigured_source",
        "standard secret not base64",
        lambda: verify(
            "standard",
            standard_headers(),
            STANDARD_BODY,
            secrets("whsec_not*base64"),
            now=STANDARD_TIMESTAMP,
        ),
    ),
    (
        "misconfigured_source",
        "meta without verify token",
        lambda: meta_challenge(HANDSHAKE, secrets("app")),
    ),
]


@pytest.mark.parametrize(
    ("reason", "call"),
    [pytest.param(reason, call, id=f"{reason}: {case}") for reason, case, call in REJECTIONS],
)
def test_rejection(reason: str, call: Callable[[], object]) -> None:
    error = rejection(call)
    assert error.reason == reason
    assert error.status_code == REASON_STATUS[reason]
    assert str(error)


def test_every_rejection_reason_has_a_case() -> None:
    assert {reason for reason, _, _ in REJECTIONS} == set(REASON_STATUS)


def test_status_codes_follow_the_contract() -> None:
    assert REASON_STATUS["bad_signature"] == 401
    assert REASON_STATUS["malformed_body"] == 400
    assert REASON_STATUS["unknown_platform"] == 404
    assert REASON_STATUS["bad_verify_token"] == 403
    # our own misconfiguration is never a 4xx: the sender keeps retrying
    assert REASON_STATUS["misconfigured_source"] >= 500
