"""Our verifiers and signers against the senders' own libraries, both ways: requests signed by
`standardwebhooks` (the Standard Webhooks reference implementation) and by `stripe`'s SDK verify
with ours, and requests we sign verify with theirs. Both libraries are dev dependencies only."""

from __future__ import annotations

import base64
import datetime as dt
import time

import pytest
import standardwebhooks
from stripe import SignatureVerificationError, WebhookSignature

from marketing_intel.webhooks import SourceSecrets, WebhookRejected, verify
from marketing_intel.webhooks.platforms.standard import sign_standard
from marketing_intel.webhooks.platforms.stripe import sign_stripe

BODIES = [
    b'{"type":"order.created","data":{"id":9007199254740993,"total":"19.99"}}',
    '{"name": "Zo\u00eb \u2713", "emoji": "\U0001f600"}'.encode(),
    b"{}",
]
STANDARD_SECRETS = [
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "whsec_" + base64.b64encode(bytes(range(32))).decode(),
    "whsec_" + base64.b64encode(bytes(range(32))).decode().rstrip("="),  # unpadded
]


@pytest.mark.parametrize("secret", STANDARD_SECRETS)
@pytest.mark.parametrize("body", BODIES)
def test_standard_webhooks_signed_by_the_reference_library_verify_here(
    secret: str, body: bytes
) -> None:
    now = dt.datetime.now(dt.UTC)
    signature = standardwebhooks.Webhook(secret).sign("msg_ref1", now, body.decode())
    headers = {
        "webhook-id": "msg_ref1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    verify("standard", headers, body, SourceSecrets((secret,)))
    with pytest.raises(WebhookRejected) as caught:
        verify("standard", headers, body + b" ", SourceSecrets((secret,)))
    assert caught.value.reason == "bad_signature"


@pytest.mark.parametrize("secret", STANDARD_SECRETS)
@pytest.mark.parametrize("body", BODIES)
def test_standard_webhooks_signed_here_verify_with_the_reference_library(
    secret: str, body: bytes
) -> None:
    headers = sign_standard(body, "whsec_QUJDREVG", secret, webhook_id="msg_ref2")
    assert standardwebhooks.Webhook(secret).verify(body, headers, json_parse=False) is None
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secret).verify(body + b" ", headers, json_parse=False)


@pytest.mark.parametrize("body", BODIES)
def test_stripe_signed_by_the_stripe_sdk_verifies_here(body: bytes) -> None:
    secret = "whsec_test_0123456789abcdef"
    header = WebhookSignature.generate_signature_header(body.decode(), secret)
    verify("stripe", {"Stripe-Signature": header}, body, SourceSecrets(("whsec_old", secret)))
    with pytest.raises(WebhookRejected):
        verify("stripe", {"Stripe-Signature": header}, body, SourceSecrets(("whsec_other",)))


@pytest.mark.parametrize("body", BODIES)
def test_stripe_signed_here_verifies_with_the_stripe_sdk(body: bytes) -> None:
    secret = "whsec_test_0123456789abcdef"
    headers = sign_stripe(body, "whsec_rolled_new", secret)
    assert WebhookSignature.verify_header(body, headers["Stripe-Signature"], secret, 300)
    with pytest.raises(SignatureVerificationError):
        WebhookSignature.verify_header(body, headers["Stripe-Signature"], "whsec_wrong", 300)


def test_stale_stripe_signatures_are_refused_by_both() -> None:
    body, secret = BODIES[0], "whsec_test_0123456789abcdef"
    old = int(time.time()) - 301
    header = WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=old)
    with pytest.raises(SignatureVerificationError):
        WebhookSignature.verify_header(body, header, secret, 300)
    with pytest.raises(WebhookRejected) as caught:
        verify("stripe", {"Stripe-Signature": header}, body, SourceSecrets((secret,)))
    assert caught.value.reason == "stale_timestamp"
