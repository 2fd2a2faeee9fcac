"""Webhook logic per event, for each platform: what the bridge spends before the 2xx and in the
flusher, against the least any receiver must do.

Before the 2xx: ours is `verify` + `split_events`; the baseline is one HMAC-SHA256 of the body
and one `json.loads` (a verifier that checks nothing else). In the flusher: ours is `normalize`
(parse, redact, two lake rows); the baseline is `json.loads` + `json.dumps` of the body. The
requests are the signed samples the bridge's load generator sends (`webhooks.samples`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

from bench.size import sized
from bench.timing import median_seconds
from marketing_intel.webhooks import (
    InboundEvent,
    SignedRequest,
    SourceSecrets,
    normalize,
    platform_names,
    split_events,
    verify,
)
from marketing_intel.webhooks.samples import sample_request, sample_secret

EVENTS = sized(2000, 20)


def _receive(platform: str, requests: list[SignedRequest], secrets: SourceSecrets) -> None:
    for request in requests:
        verify(platform, request.headers, request.body, secrets)
        split_events(platform, request.headers, request.body)


def _bare_receive(requests: list[SignedRequest], key: bytes) -> None:
    for request in requests:
        hmac.new(key, request.body, hashlib.sha256).digest()
        json.loads(request.body)


def _normalize(platform: str, events: list[InboundEvent]) -> None:
    received = dt.datetime.now(dt.UTC)
    for number, event in enumerate(events):
        normalize(
            platform, event, tenant_id="bench", raw_id=str(number), received_at=received, salt=b"s"
        )


def _bare_normalize(events: list[InboundEvent]) -> None:
    for event in events:
        json.dumps(json.loads(event.body))


def _platform_line(platform: str) -> str:
    secret = sample_secret(platform)
    now = int(time.time())
    requests = [sample_request(platform, n, secret, timestamp=now) for n in range(EVENTS)]
    events = [split_events(platform, r.headers, r.body)[0] for r in requests]
    secrets = SourceSecrets((secret,))
    per_event = 1e6 / EVENTS
    receive = median_seconds(lambda: _receive(platform, requests, secrets)) * per_event
    bare = median_seconds(lambda: _bare_receive(requests, secret.encode())) * per_event
    normal = median_seconds(lambda: _normalize(platform, events)) * per_event
    floor = median_seconds(lambda: _bare_normalize(events)) * per_event
    return (
        f"{platform:<11} {receive:8.1f} {bare:6.1f} {receive / bare:5.1f}x   "
        f"{normal:9.1f} {floor:6.1f} {normal / floor:5.1f}x"
    )


def main() -> None:
    """Print microseconds per event, ours and the baseline, and the ratio, per platform."""
    print(f"webhooks: microseconds per event over {EVENTS} signed sample requests per platform")
    print(
        f"{'platform':<11} {'receive':>8} {'bare':>6} {'ratio':>6}   {'normalize':>9} "
        f"{'bare':>6} {'ratio':>6}"
    )
    for platform in platform_names():
        print(_platform_line(platform))


if __name__ == "__main__":
    main()
