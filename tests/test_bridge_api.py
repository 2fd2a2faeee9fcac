"""The bridge API in process (FastAPI's TestClient runs the real app, lifespan included) over the
embedded SQLite inbox and DuckDB lake: webhooks, handshake, ingest, admin, health and errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bridge_api import create_app
from marketing_intel.bridge import open_bridge
from marketing_intel.config import Settings, load_settings
from tests.bridge_support import expected_raw_id, landed_raw_ids, standard_webhook

BODY = b'{"type": "order.created", "data": {"id": 4503599627370497}}'


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The flusher runs only when a test asks (flush_all), so inbox contents are deterministic.
    return load_settings(home=tmp_path / ".mi", bridge_flush_in_process=False)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def source(settings: Settings) -> tuple[str, str]:
    created = open_bridge(settings).sources.add("standard", "tenant-a")
    assert created.secret is not None
    return created.source.source_id, created.secret


def post_signed(client: TestClient, source: tuple[str, str], webhook_id: str, body: bytes = BODY):
    source_id, secret = source
    headers = standard_webhook(secret, webhook_id, body)
    return client.post(f"/v1/webhooks/standard/{source_id}", content=body, headers=headers)


def test_signed_webhook_is_stored_once_and_lands_in_the_lake(client, settings, source):
    first = post_signed(client, source, "msg_1")
    again = post_signed(client, source, "msg_1")
    other = post_signed(client, source, "msg_2")

    assert [first.status_code, again.status_code, other.status_code] == [200, 200, 200]
    assert first.json() == {"status": "accepted", "events": 1}
    bridge = open_bridge(settings)
    assert bridge.inbox.status().pending == 2
    result = bridge.flusher().flush_all()
    assert result.flushed == 2
    bridge.lake.close()  # type: ignore[attr-defined]
    raws, events = landed_raw_ids(settings.lake_path, "tenant-a")
    expected = {expected_raw_id("tenant-a", "standard", key) for key in ("msg_1", "msg_2")}
    assert sorted(raws) == sorted(expected)
    assert sorted(events) == sorted(expected)
    assert landed_raw_ids(settings.lake_path, "tenant-b") == ([], [])


def test_bad_signature_is_401_with_its_reason_and_counted(client, source):
    source_id, _ = source
    headers = standard_webhook("whsec_" + "A" * 32, "msg_1", BODY)

    answer = client.post(f"/v1/webhooks/standard/{source_id}", content=BODY, headers=headers)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"
    metrics = client.get("/metrics").text
    assert (
        'mi_bridge_webhook_rejections_total{platform="standard",reason="bad_signature"} 1.0'
        in metrics
    )


def test_unknown_source_and_wrong_platform_are_404(client, source):
    source_id, secret = source
    headers = standard_webhook(secret, "msg_1", BODY)

    unknown = client.post("/v1/webhooks/standard/src_nope", content=BODY, headers=headers)
    wrong_platform = client.post(f"/v1/webhooks/shopify/{source_id}", content=BODY, headers=headers)

    assert unknown.status_code == wrong_platform.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_source"


def test_disabled_source_is_refused(settings, source):
    bridge = open_bridge(settings)
    bridge.sources.disable(source[0])
    with TestClient(create_app(settings)) as client:
        assert post_signed(client, source, "msg_1").status_code == 404


def test_rotated_secret_keeps_the_old_one_during_the_grace_period(settings, source):
    source_id, old_secret = source
    rotated = open_bridge(settings).sources.rotate(source_id)
    assert rotated.secret and rotated.secret != old_secret
    with TestClient(create_app(settings)) as client:
        assert post_signed(client, (source_id, old_secret), "msg_old").status_code == 200
        assert post_signed(client, (source_id, rotated.secret), "msg_new").status_code == 200


def test_rotation_without_grace_drops_the_old_secret(tmp_path):
    settings = load_settings(home=tmp_path / ".mi", bridge_rotation_grace_s=0)
    bridge = open_bridge(settings)
    created = bridge.sources.add("standard", "tenant-a")
    rotated = bridge.sources.rotate(created.source.source_id)
    resolved = bridge.sources.resolve("standard", created.source.source_id)
    assert resolved.secrets.secrets == (rotated.secret,)


def test_body_over_the_limit_is_413_declared_or_streamed(tmp_path, source):
    settings = load_settings(home=tmp_path / ".mi", bridge_max_body_bytes=1000)
    source_id, secret = open_bridge(settings).sources.add("standard", "t").source.source_id, None
    big = b'{"pad": "' + b"x" * 5000 + b'"}'
    with TestClient(create_app(settings)) as client:
        declared = client.post(f"/v1/webhooks/standard/{source_id}", content=big)
        streamed = client.post(
            f"/v1/webhooks/standard/{source_id}", content=iter([big[:800], big[800:]])
        )
    assert declared.status_code == streamed.status_code == 413
    assert declared.json()["error"]["code"] == streamed.json()["error"]["code"] == "body_too_large"
    assert secret is None


def test_meta_handshake_echoes_the_challenge_only_for_the_right_token(client, settings):
    created = open_bridge(settings).sources.add("meta", "tenant-a", verify_token="tok-123")
    path = f"/v1/webhooks/meta/{created.source.source_id}"

    good = client.get(
        path,
        params={"hub.mode": "subscribe", "hub.verify_token": "tok-123", "hub.challenge": "987"},
    )
    bad = client.get(
        path, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "987"}
    )

    assert (good.status_code, good.text) == (200, "987")
    assert bad.status_code == 403
    assert bad.json()["error"]["code"] == "bad_verify_token"


def campaign_row(spend: str, **extra) -> dict:
    return {
        "platform": "google_ads",
        "campaign_id": "9007199254740993",
        "date": "2026-03-01",
        "impressions": 1000,
        "clicks": 10,
        "conversions": 1,
        "spend": spend,
        "revenue": "50.00",
        "currency": "USD",
        "updated_at": "2026-03-02T00:00:00Z",
        **extra,
    }


def test_ingest_restatement_replaces_the_earlier_row(client, settings):
    _, key = open_bridge(settings).api_keys.create("tenant-a")
    auth = {"Authorization": f"Bearer {key}"}

    first = client.post(
        "/v1/ingest/campaign-metrics", json={"rows": [campaign_row("10.00")]}, headers=auth
    )
    restated = client.post(
        "/v1/ingest/campaign-metrics", json={"rows": [campaign_row("12.50")]}, headers=auth
    )

    assert first.json() == {
        "table": "campaign_metrics",
        "received": 1,
        "inserted": 1,
        "replaced": 0,
    }
    assert restated.json() == {
        "table": "campaign_metrics",
        "received": 1,
        "inserted": 0,
        "replaced": 1,
    }
    lake = open_bridge(settings).lake
    rows = lake.query(
        "SELECT campaign_id, spend FROM campaign_metrics", tenant_id="tenant-a"
    ).rows()
    assert [(r["campaign_id"], r["spend"]) for r in rows] == [
        ("9007199254740993", Decimal("12.50"))
    ]


def test_ingest_is_scoped_to_the_key_tenant(client, settings):
    bridge = open_bridge(settings)
    _, key_a = bridge.api_keys.create("tenant-a")
    auth = {"Authorization": f"Bearer {key_a}"}

    foreign = client.post(
        "/v1/ingest/audience-insights",
        json={
            "rows": [
                {
                    "tenant_id": "tenant-b",
                    "platform": "meta",
                    "segment_id": "s1",
                    "date": "2026-03-01",
                    "audience_size": 1,
                    "active_users": 1,
                    "engaged_users": 1,
                    "conversions": 0,
                    "revenue": "0",
                }
            ]
        },
        headers=auth,
    )
    assert foreign.status_code == 403
    assert foreign.json()["error"]["code"] == "other_tenant"
    assert bridge.lake.row_counts()["audience_insights"] == 0


def test_ingest_refuses_missing_wrong_and_admin_keys_and_invalid_rows(client, settings):
    bridge = open_bridge(settings)
    _, admin = bridge.api_keys.create(None)
    key_record, tenant_key = bridge.api_keys.create("tenant-a")
    body = {"rows": [campaign_row("1.00")]}
    path = "/v1/ingest/campaign-metrics"

    missing = client.post(path, json=body)
    wrong = client.post(path, json=body, headers={"Authorization": f"Bearer {tenant_key}x"})
    as_admin = client.post(path, json=body, headers={"Authorization": f"Bearer {admin}"})
    invalid = client.post(
        path,
        json={"rows": [campaign_row("lots")]},
        headers={"Authorization": f"Bearer {tenant_key}"},
    )
    bridge.api_keys.disable(key_record.key_id)
    disabled = client.post(path, json=body, headers={"Authorization": f"Bearer {tenant_key}"})

    assert [missing.status_code, wrong.status_code, as_admin.status_code] == [401, 401, 403]
    assert (invalid.status_code, invalid.json()["error"]["code"]) == (422, "invalid_rows")
    assert disabled.status_code == 401


@pytest.mark.parametrize("name", ["\ud800 promo", "nul\x00promo"])
def test_ingest_refuses_text_the_lake_cannot_hold_with_a_422(client, settings, name):
    """A lone surrogate or NUL (JSON escapes carry both) made the ingest answer 500 (issue 17)."""
    _, tenant_key = open_bridge(settings).api_keys.create("tenant-a")
    row = {**campaign_row("1.00"), "campaign_name": name}
    answer = client.post(
        "/v1/ingest/campaign-metrics",
        content=json.dumps({"rows": [row]}),
        headers={"Authorization": f"Bearer {tenant_key}", "content-type": "application/json"},
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "invalid_rows")
    assert "campaign_name" in answer.json()["error"]["message"]


def test_admin_inbox_status_and_replay(client, settings, source):
    bridge = open_bridge(settings)
    _, admin = bridge.api_keys.create(None)
    _, tenant_key = bridge.api_keys.create("tenant-a")
    post_signed(client, source, "msg_1")
    token, rows = bridge.inbox.claim(10, lease_s=60)
    bridge.inbox.mark_failed(
        token, rows, "lake said no", max_attempts=1, backoff_s=1, backoff_max_s=1
    )

    refused = client.get("/v1/admin/inbox", headers={"Authorization": f"Bearer {tenant_key}"})
    status = client.get("/v1/admin/inbox", headers={"Authorization": f"Bearer {admin}"}).json()
    replay = client.post(
        "/v1/admin/inbox/replay", json={}, headers={"Authorization": f"Bearer {admin}"}
    )

    assert refused.status_code == 403
    assert (status["dead"], status["dead_letters"][0]["last_error"]) == (1, "lake said no")
    assert replay.json() == {"replayed": 1}
    assert bridge.inbox.status().pending == 1


def test_health_readiness_and_metrics(client, source):
    post_signed(client, source, "msg_1")

    assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["checks"]) == (200, {"database": "ok", "lake": "ok"})
    metrics = client.get("/metrics").text
    assert "mi_bridge_inbox_pending 1.0" in metrics
    assert 'mi_bridge_webhook_events_total{platform="standard"} 1.0' in metrics
    assert 'mi_bridge_requests_total{route="/v1/webhooks",status="200"} 1.0' in metrics


def test_errors_are_json_for_unknown_routes_methods_and_bad_json(client):
    not_found = client.get("/nope")
    method = client.delete("/healthz")
    bad_json = client.post(
        "/v1/ingest/campaign-metrics",
        content=b"{nope",
        headers={"content-type": "application/json"},
    )
    for answer, status in ((not_found, 404), (method, 405), (bad_json, 422)):
        assert answer.status_code == status
        assert set(json.loads(answer.content)["error"]) == {"code", "message"}
