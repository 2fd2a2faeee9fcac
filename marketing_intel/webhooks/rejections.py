"""Why a webhook request was refused, as a stable code and the HTTP status the bridge answers."""

from __future__ import annotations

from marketing_intel.errors import MarketingIntelError

# Every reason code and its status. 401: the request does not prove it comes from the source's
# sender (the sender may retry with a fresh signature). 400: the request itself is malformed.
# 403: Meta's handshake with a wrong verify token (Meta's documented answer). 404: no such platform.
# 503: the source is misconfigured on our side (no secret): our failure, never a 4xx, so the sender
# keeps retrying while an operator fixes the source, and nothing is accepted meanwhile.
REASON_STATUS: dict[str, int] = {
    "missing_signature": 401,
    "malformed_signature_header": 401,
    "bad_signature": 401,
    "stale_timestamp": 401,
    "webhook_id_mismatch": 401,
    "duplicate_header": 400,
    "malformed_body": 400,
    "malformed_handshake": 400,
    "bad_verify_token": 403,
    "unknown_platform": 404,
    "misconfigured_source": 503,
}


class WebhookRejected(MarketingIntelError):
    """A webhook request refused before anything was stored.

    `reason` is a stable snake_case code (a key of `REASON_STATUS`, fit for a metrics label);
    `status_code` is the HTTP status to answer; `str(error)` says what was wrong, never a secret.
    """

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASON_STATUS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.status_code = REASON_STATUS[reason]
