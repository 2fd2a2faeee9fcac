"""One event must never stall the flusher: text no store can hold (lone surrogates, NUL) is
stored replaced and flagged, and a row the lake write fails on is isolated by halving the batch.

Everything is real: the bridge app (FastAPI's TestClient runs it, lifespan included), the inbox
on SQLite and on the test PostgreSQL, the DuckDB lake, the flusher. The one stand-in is a lake
that raises for one chosen row (a real DuckDB lake underneath), since no real lake fails on
demand for one row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from bridge_api import create_app
from marketing_intel.bridge import open_bridge
from marketing_intel.bridge.database import inbox as inbox_table
from marketing_intel.bridge.flusher import Flusher, FlushPolicy, raw_id
from marketing_intel.bridge.inbox import InboxEntry
from marketing_intel.cli import app
from marketing_intel.config import Settings, load_settings
from marketing_intel.lake import DuckDBLake, QueryLimits
from marketing_intel.webhooks import InboundEvent
from marketing_intel.webhooks.platforms.shopify import shopify_signature
from marketing_intel.webhooks.platforms.stripe import stripe_signature
from tests.bridge_support import landed_raw_ids, postgres_database, standard_webhook

POISON = b'{"id": "\\ud800", "created_at": "2026-12-01T00:00:00Z"}'  # the exact body
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    overrides: dict[str, Any] = {"home": tmp_path / ".mi", "bridge_flush_in_process": False}
    if request.param == "sqlite":
        yield load_settings(**overrides)
        return
    with postgres_database(request.getfixturevalue("postgres_url"), "mi_poison") as url:
        key = Fernet.generate_key().decode()
        yield load_settings(**overrides, bridge_database_url=url, bridge_secret_key=key)


def post_shopify(client: TestClient, source_id: str, webhook_id: str, body: bytes) -> int:
    headers = {
        "content-type": "application/json",
        "x-shopify-hmac-sha256": shopify_signature("shopify-secret", body),
        "x-shopify-topic": "orders/create",
        "x-shopify-webhook-id": webhook_id,
    }
    return client.post(
        f"/v1/webhooks/shopify/{source_id}", content=body, headers=headers
    ).status_code


def lake_rows(settings: Settings, tenant_id: str, sql: str) -> list[dict[str, Any]]:
    lake = DuckDBLake(settings.lake_path)
    try:
        return lake.query(sql, tenant_id=tenant_id, limits=QueryLimits(row_limit=1000)).rows()
    finally:
        lake.close()


def test_a_lone_surrogate_webhook_stalls_nobody_and_lands_replaced_and_flagged(settings):
    """The issue's reproduction: before, the flush raised UnicodeEncodeError and nothing landed."""
    bridge = open_bridge(settings)
    poisoner = bridge.sources.add("shopify", "tenant-a", secret="shopify-secret").source
    victim = bridge.sources.add("standard", "tenant-b")
    assert victim.secret is not None
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert post_shopify(client, poisoner.source_id, "poison-1", POISON) == 200
        for n in range(200):
            body = json.dumps({"type": "order.created", "n": n}).encode()
            headers = standard_webhook(victim.secret, f"msg_{n}", body)
            answer = client.post(
                f"/v1/webhooks/standard/{victim.source.source_id}", content=body, headers=headers
            )
            assert answer.status_code == 200

    result = bridge.flusher().flush_once()  # one pass

    assert (result.claimed, result.flushed, result.retried, result.dead) == (201, 201, 0, 0)
    bridge.lake.close()  # type: ignore[attr-defined]
    raws, events = landed_raw_ids(settings.lake_path, "tenant-b")
    expected = sorted(raw_id("tenant-b", "standard", f"msg_{n}") for n in range(200))
    assert sorted(raws) == sorted(events) == expected
    [poison] = lake_rows(
        settings,
        "tenant-a",
        "SELECT JSON_VALUE(e.attributes, '$.object_id') AS object_id,"
        " JSON_VALUE(e.attributes, '$.text_replaced') AS flag,"
        " JSON_VALUE(r.body, '$.id') AS body_id"
        " FROM platform_events AS e JOIN integration_raw_data AS r USING (raw_id)",
    )
    assert poison == {"object_id": "\ufffd", "flag": "true", "body_id": "\ufffd"}
    assert bridge.inbox.status().pending == 0


@pytest.mark.parametrize(
    ("body", "webhook_id"),
    [
        (b'{"type": "a\\u0000b", "timestamp": 1764244800}', "nul-in-topic"),  # PostgreSQL text
        (b'{"type": "\\udc00x"}', "surrogate-in-topic"),  # no UTF-8 encoding at all
    ],
)
def test_a_topic_no_store_can_hold_is_stored_not_answered_503_forever(settings, body, webhook_id):
    """Before: the inbox write failed and the sender got 503 (retry) on every redelivery."""
    bridge = open_bridge(settings)
    created = bridge.sources.add("standard", "tenant-a")
    assert created.secret is not None
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = client.post(
            f"/v1/webhooks/standard/{created.source.source_id}",
            content=body,
            headers=standard_webhook(created.secret, webhook_id, body),
        )
    assert answer.status_code == 200, answer.text

    assert bridge.flusher().flush_all().flushed == 1
    bridge.lake.close()  # type: ignore[attr-defined]
    [row] = lake_rows(settings, "tenant-a", "SELECT topic FROM integration_raw_data")
    assert "\ufffd" in row["topic"]


def test_ids_that_differ_only_in_unstorable_text_stay_distinct_events(tmp_path):
    """A lone surrogate in a platform id (Stripe's event id is the dedupe key) is hashed, not
    replaced, so two such events are never mistaken for one redelivery."""
    settings = load_settings(home=tmp_path / ".mi", bridge_flush_in_process=False)
    bridge = open_bridge(settings)
    created = bridge.sources.add("stripe", "tenant-a", secret="whsec_stripe")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for event_id in ("\\ud800", "\\ud801"):
            body = ('{"id": "evt_' + event_id + '", "type": "charge.succeeded"}').encode()
            timestamp = str(int(dt.datetime.now(dt.UTC).timestamp()))
            signature = f"t={timestamp},v1={stripe_signature('whsec_stripe', timestamp, body)}"
            answer = client.post(
                f"/v1/webhooks/stripe/{created.source.source_id}",
                content=body,
                headers={"content-type": "application/json", "stripe-signature": signature},
            )
            assert answer.status_code == 200, answer.text
    assert bridge.inbox.status().pending == 2
    assert bridge.flusher().flush_all().flushed == 2


class OneRowFails:
    """A real DuckDB lake whose insert raises for any batch holding one chosen raw_id, as a lake
    write fails on a row for a reason nobody foresaw (here a plain RuntimeError)."""

    def __init__(self, lake: DuckDBLake, failing_raw_id: str) -> None:
        self.lake = lake
        self.failing_raw_id = failing_raw_id
        self.inserts = 0

    def insert(self, table: str, rows: Any) -> Any:
        self.inserts += 1
        ids = rows.column("raw_id").to_pylist() if hasattr(rows, "column") else []
        if self.failing_raw_id in ids:
            raise RuntimeError(f"injected failure for {self.failing_raw_id}")
        return self.lake.insert(table, rows)


def entry(key: str, tenant: str) -> InboxEntry:
    body = json.dumps({"type": "order.created", "n": key}).encode()
    event = InboundEvent(key, "order.created", NOW, body, {"webhook-id": key})
    return InboxEntry(tenant, "standard", "src_test", event, NOW)


def test_a_row_whose_write_fails_is_isolated_by_halving_and_dead_after_its_attempts(settings):
    """Before: the whole batch failed together (attempts counted for all 256 rows, none landed)."""
    bridge = open_bridge(settings)
    bridge.inbox.write(
        [entry(f"a{n}", "tenant-a") for n in range(128)]
        + [entry(f"b{n}", "tenant-b") for n in range(128)]
    )
    bad_id = raw_id("tenant-a", "standard", "a77")
    lake = OneRowFails(DuckDBLake(settings.lake_path), bad_id)
    policy = FlushPolicy(batch_size=1000, max_attempts=3, backoff_s=60, backoff_max_s=60)
    flusher = Flusher(bridge.inbox, lake, bridge.sources, policy)  # type: ignore[arg-type]

    first = flusher.flush_once()

    assert (first.claimed, first.flushed, first.retried, first.dead) == (256, 255, 1, 0)
    # 1 whole-batch try, then two halves per level down to the row: 2 * log2(256) + 1 tries,
    # each writing integration_raw_data (the failing table) and, on success, platform_events.
    assert lake.inserts <= 2 * (2 * 8 + 1)
    with bridge.engine.begin() as connection:
        waiting = connection.execute(
            inbox_table.select().where(inbox_table.c.state == "pending")
        ).all()
    assert [(row.dedupe_key, row.attempts) for row in waiting] == [("a77", 1)]
    assert "RuntimeError: injected failure" in waiting[0].last_error
    for attempt in (2, 3):  # each later pass counts one more attempt; the third is the last
        with bridge.engine.begin() as connection:
            connection.execute(update(inbox_table).values(next_attempt_at=NOW))
        again = flusher.flush_once()
        assert (again.claimed, again.flushed) == (1, 0)
        assert (again.dead, again.retried) == ((1, 0) if attempt == 3 else (0, 1))

    [letter] = bridge.inbox.dead_letters()
    assert (letter.dedupe_key, letter.attempts) == ("a77", 3)
    assert "RuntimeError: injected failure" in (letter.last_error or "")
    lake.lake.close()
    for tenant, prefix in (("tenant-a", "a"), ("tenant-b", "b")):
        raws, events = landed_raw_ids(settings.lake_path, tenant)
        expected = {raw_id(tenant, "standard", f"{prefix}{n}") for n in range(128)} - {bad_id}
        assert set(raws) == set(events) == expected


def test_mi_bridge_flush_once_exits_0_with_a_poison_event_in_line(tmp_path, monkeypatch):
    """The issue's command: before, it exited 1 with a UnicodeEncodeError traceback."""
    monkeypatch.setenv("MI_HOME", str(tmp_path / ".mi"))
    bridge = open_bridge(load_settings())
    poison = InboundEvent("poison-1", "orders/create", NOW, POISON, {})
    bridge.inbox.write([InboxEntry("tenant-a", "shopify", "src_test", poison, NOW)])
    bridge.inbox.write([entry("good", "tenant-b")])

    flushed = CliRunner().invoke(app, ["bridge", "flush", "--once"])

    assert flushed.exit_code == 0, flushed.output
    assert "flushed 2, retried 0, dead 0" in flushed.output
