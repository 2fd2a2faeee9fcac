"""A webhook platform is one module: a throwaway one, written to a temporary directory added to
the platforms package's `__path__`, shows up in the catalog, `mi sources`, and the bridge's
webhook route (a signed delivery lands in the lake, a bad signature is refused), and is gone
again once the directory is.

The bridge runs in process (FastAPI's TestClient, lifespan included) over the embedded SQLite
inbox and DuckDB lake, as in tests/test_bridge_api.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import shutil
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bridge_api import create_app
from marketing_intel.bridge import open_bridge
from marketing_intel.cli import app
from marketing_intel.config import Settings, load_settings
from marketing_intel.lake import DuckDBLake
from marketing_intel.webhooks import (
    InboundEvent,
    SourceSecrets,
    WebhookPlatform,
    WebhookRejected,
    normalize,
    platform_names,
    split_events,
    verify,
    webhook_platform,
)
from marketing_intel.webhooks import platforms as platforms_package
from marketing_intel.webhooks.headers import HeaderView
from marketing_intel.webhooks.registry import rediscover_platforms
from marketing_intel.webhooks.samples import sample_request, sample_secret
from tests.bridge_support import expected_raw_id, landed_raw_ids

BUILT_IN = ("shopify", "meta", "google_ads", "tiktok", "klaviyo", "stripe", "standard")
NAME = "acme_loyalty"
NOW = 1_763_654_500
EXAMPLE = Path(__file__).parent / "webhook_platform_example" / f"{NAME}.py"


@contextlib.contextmanager
def platforms_in(directory: Path) -> Iterator[None]:
    """The modules of `directory` discoverable as platforms inside the block, forgotten after."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(platforms_package, "__path__", [*platforms_package.__path__, str(directory)])
        importlib.invalidate_caches()
        rediscover_platforms()
        try:
            yield
        finally:
            for module in directory.glob("*.py"):
                sys.modules.pop(f"{platforms_package.__name__}.{module.stem}", None)
    rediscover_platforms()


@pytest.fixture
def acme(tmp_path: Path) -> Iterator[WebhookPlatform]:
    """The throwaway platform, in a temporary directory, discoverable while the test runs."""
    directory = tmp_path / "more_platforms"
    directory.mkdir()
    shutil.copy(EXAMPLE, directory)
    with platforms_in(directory):
        yield webhook_platform(NAME)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The flusher runs only when the test asks, so what landed is what the test flushed.
    return load_settings(home=tmp_path / ".mi", bridge_flush_in_process=False)


def test_the_built_in_platforms_are_found_in_their_order() -> None:
    assert platform_names() == BUILT_IN
    assert all(isinstance(webhook_platform(name), WebhookPlatform) for name in BUILT_IN)


def test_a_new_module_joins_the_catalog_and_leaves_with_its_directory(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path)
    with platforms_in(tmp_path):
        assert platform_names() == (*BUILT_IN, NAME)
        assert webhook_platform(NAME).title == "Acme Loyalty"

    with pytest.raises(WebhookRejected) as unknown:
        webhook_platform(NAME)
    assert unknown.value.status_code == 404
    assert str(unknown.value) == (
        "Unknown platform 'acme_loyalty'; use one of "
        "shopify, meta, google_ads, tiktok, klaviyo, stripe, standard."
    )


def test_a_module_without_a_platform_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "half_done.py").write_text("PLATFORM = None\n")
    with platforms_in(tmp_path), pytest.raises(TypeError) as refused:
        platform_names()
    assert str(refused.value) == (
        "marketing_intel.webhooks.platforms.half_done must export PLATFORM, a WebhookPlatform."
    )


def test_the_new_platform_verifies_splits_and_normalizes_with_the_shared_rules(
    acme: WebhookPlatform,
) -> None:
    secret = sample_secret(NAME)
    request = sample_request(NAME, 1, secret, timestamp=NOW)

    verify(NAME, request.headers, request.body, SourceSecrets((secret,)), now=NOW)
    with pytest.raises(WebhookRejected) as refused:
        verify(NAME, request.headers, request.body + b" ", SourceSecrets((secret,)), now=NOW)
    [event] = split_events(NAME, request.headers, request.body)
    received = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    rows = normalize(NAME, event, tenant_id="t1", raw_id="r1", received_at=received, salt=b"s")

    assert refused.value.reason == "bad_signature"
    assert str(refused.value) == (
        "The Acme Loyalty signature does not match the body with this source's secret."
    )
    assert event.dedupe_key == "msg_sample1"
    assert "x-acme-signature" not in event.headers  # its signature header is never stored
    assert "x-acme-signature" not in HeaderView({"X-Acme-Signature": "s"}).storable()
    facts = rows.platform_event
    assert (facts["platform"], facts["event_type"]) == (NAME, "points_earned")
    assert (facts["value"], facts["currency"]) == (Decimal("12.50"), "USD")
    assert facts["occurred_at"] == dt.datetime.fromtimestamp(NOW, tz=dt.UTC)
    assert facts["customer_key"] is not None and "9007199254740994" not in facts["customer_key"]
    assert "member1@example.com" not in json.dumps(rows.raw, default=str)


def test_a_platform_s_secret_field_never_lands_whichever_platform_carries_it() -> None:
    # A relay may forward a Google lead, google_key included, as a Standard Webhooks event.
    body = b'{"type": "lead.relayed", "google_key": "relayed-s3cr3t", "lead_id": "L1"}'
    event = InboundEvent("msg_1", "lead.relayed", None, body)
    received = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)

    rows = normalize(
        "standard", event, tenant_id="t1", raw_id="r1", received_at=received, salt=b"s"
    )

    assert json.loads(rows.raw["body"]) == {"type": "lead.relayed", "lead_id": "L1"}


def test_the_bridge_accepts_a_signed_delivery_and_refuses_a_bad_signature(
    acme: WebhookPlatform, settings: Settings
) -> None:
    created = open_bridge(settings).sources.add(NAME, "tenant-a")
    assert created.secret is not None and created.verify_token is None
    path = f"/v1/webhooks/{NAME}/{created.source.source_id}"
    signed = sample_request(NAME, 1, created.secret)
    forged = sample_request(NAME, 2, "not-the-secret")

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        first = client.post(path, content=signed.body, headers=signed.headers)
        again = client.post(path, content=signed.body, headers=signed.headers)
        refused = client.post(path, content=forged.body, headers=forged.headers)
        handshake = client.get(path)
        metrics = client.get("/metrics").text

    assert (first.status_code, first.json()) == (200, {"status": "accepted", "events": 1})
    assert again.status_code == 200
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "bad_signature"
    assert handshake.status_code == 405
    assert (
        f'mi_bridge_webhook_rejections_total{{platform="{NAME}",reason="bad_signature"}} 1.0'
        in (metrics)
    )
    bridge = open_bridge(settings)
    assert bridge.flusher().flush_all().flushed == 1
    bridge.lake.close()  # type: ignore[attr-defined]
    expected = expected_raw_id("tenant-a", NAME, "msg_sample1")
    assert landed_raw_ids(settings.lake_path, "tenant-a") == ([expected], [expected])
    lake = DuckDBLake(settings.lake_path)
    try:
        landed = lake.query(
            "SELECT platform, event_type, value FROM platform_events", tenant_id="tenant-a"
        ).rows()
    finally:
        lake.close()
    assert landed == [{"platform": NAME, "event_type": "points_earned", "value": Decimal("12.5")}]


def test_mi_sources_lists_and_adds_the_new_platform(
    acme: WebhookPlatform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MI_HOME", str(tmp_path / ".mi"))
    runner = CliRunner()

    listed = runner.invoke(app, ["sources", "platforms", "--json"])
    table = runner.invoke(app, ["sources", "platforms"])
    added = runner.invoke(app, ["sources", "add", "--platform", NAME, "--tenant", "t1", "--json"])

    assert listed.exit_code == 0, listed.output
    platforms = json.loads(listed.stdout)
    assert [p["platform"] for p in platforms] == [*BUILT_IN, NAME]
    assert platforms[-1] == {
        "platform": NAME,
        "title": "Acme Loyalty",
        "signature_headers": ["x-acme-signature"],
        "handshake": False,
    }
    assert "Acme Loyalty" in table.stdout
    assert added.exit_code == 0, added.output
    shown = json.loads(added.stdout)
    assert shown["webhook_path"] == f"/v1/webhooks/{NAME}/{shown['source_id']}"
    assert shown["secret"] and shown["verify_token"] is None
