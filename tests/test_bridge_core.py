"""The bridge's core without HTTP: encrypted sources, the inbox (on SQLite and on the test
PostgreSQL, one fresh database for this module), the flusher, and the `mi` commands."""

from __future__ import annotations

import datetime as dt
import json
import stat
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import update
from typer.testing import CliRunner

from marketing_intel.bridge import BridgeError, open_bridge
from marketing_intel.bridge.database import inbox as inbox_table
from marketing_intel.bridge.flusher import raw_id
from marketing_intel.bridge.inbox import InboxEntry
from marketing_intel.cli import app
from marketing_intel.config import ConfigError, load_settings
from marketing_intel.webhooks import InboundEvent
from tests.bridge_support import landed_raw_ids, postgres_database

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


MODULE_KEY = Fernet.generate_key().decode()  # the PostgreSQL database outlives each test


@pytest.fixture(scope="module")
def module_database(postgres_url: str):
    with postgres_database(postgres_url, "mi_bridge_core") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def bridge(request, tmp_path: Path):
    overrides: dict = {"home": tmp_path / ".mi", "bridge_flush_backoff_s": 60}
    if request.param == "postgresql":
        url = request.getfixturevalue("module_database")
        overrides |= {
            "bridge_database_url": url,
            "bridge_secret_key": MODULE_KEY,
        }
    opened = open_bridge(load_settings(**overrides))
    yield opened
    with opened.engine.begin() as connection:  # the PostgreSQL database is shared by the module
        connection.execute(inbox_table.delete())
    opened.close()


def entry(key: str, *, tenant: str = "tenant-a", body: bytes | None = None) -> InboxEntry:
    payload = body if body is not None else json.dumps({"type": "order.created", "n": key}).encode()
    event = InboundEvent(key, "order.created", NOW, payload, {"webhook-id": key})
    return InboxEntry(tenant, "standard", "src_test", event, NOW)


def test_secrets_are_encrypted_at_rest_and_the_key_file_is_private(tmp_path):
    settings = load_settings(home=tmp_path / ".mi")
    created = open_bridge(settings).sources.add(
        "meta", "tenant-a", secret="app-secret-123", verify_token="tok-456"
    )

    stored = (tmp_path / ".mi" / "bridge.db").read_bytes()
    assert b"app-secret-123" not in stored and b"tok-456" not in stored
    assert stat.S_IMODE((tmp_path / ".mi" / "bridge.key").stat().st_mode) == 0o600
    resolved = open_bridge(settings).sources.resolve("meta", created.source.source_id)
    assert (resolved.secrets.secrets, resolved.secrets.verify_token) == (
        ("app-secret-123",),
        "tok-456",
    )


def test_a_production_database_needs_a_key():
    with pytest.raises(ConfigError, match=r"MI_BRIDGE_SECRET_KEY.*Fernet\.generate_key"):
        load_settings(bridge_database_url="postgresql://db.example/bridge")


def test_a_salt_that_cannot_be_opened_is_retried_not_dead_lettered(tmp_path):
    home = tmp_path / ".mi"
    first = open_bridge(load_settings(home=home, bridge_secret_key=Fernet.generate_key().decode()))
    first.inbox.write([entry("k1")])
    first.sources.tenant_salt("tenant-a")
    other_key = open_bridge(
        load_settings(home=home, bridge_secret_key=Fernet.generate_key().decode())
    )

    result = other_key.flusher().flush_all()

    assert (result.flushed, result.dead, result.retried) == (0, 0, 1)
    assert other_key.inbox.status().pending == 1


def test_the_key_can_be_rotated_and_a_lost_key_is_a_clear_error(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    home = tmp_path / ".mi"
    created = open_bridge(load_settings(home=home, bridge_secret_key=old)).sources.add(
        "shopify", "t", secret="s1"
    )
    source_id = created.source.source_id

    open_bridge(load_settings(home=home, bridge_secret_key=f"{new},{old}")).sources.reencrypt()
    only_new = open_bridge(load_settings(home=home, bridge_secret_key=new)).sources
    assert only_new.resolve("shopify", source_id).secrets.secrets == ("s1",)
    with pytest.raises(BridgeError, match="cannot be decrypted"):
        open_bridge(load_settings(home=home, bridge_secret_key=old)).sources.resolve(
            "shopify", source_id
        )


def test_tenants_get_distinct_stable_salts(tmp_path):
    sources = open_bridge(load_settings(home=tmp_path / ".mi")).sources
    salt_a = sources.tenant_salt("tenant-a")
    assert salt_a == sources.tenant_salt("tenant-a") != sources.tenant_salt("tenant-b")
    assert len(salt_a) == 32


def test_duplicates_are_stored_once_per_tenant(bridge):
    bridge.inbox.write([entry("k1"), entry("k1"), entry("k2")])
    bridge.inbox.write([entry("k1"), entry("k1", tenant="tenant-b")])

    assert bridge.inbox.status().pending == 4 - 1  # k1 and k2 of tenant-a, k1 of tenant-b


def test_flush_lands_each_event_once_even_when_a_batch_is_written_again(bridge):
    bridge.inbox.write([entry(f"k{n}") for n in range(50)])

    assert bridge.flusher().flush_all().flushed == 50
    # A flusher that died after the lake write but before marking the rows: they come back.
    with bridge.engine.begin() as connection:
        connection.execute(update(inbox_table).values(state="pending"))
    assert bridge.flusher().flush_all().flushed == 50

    bridge.lake.close()
    raws, events = landed_raw_ids(bridge.settings.lake_path, "tenant-a")
    expected = sorted(raw_id("tenant-a", "standard", f"k{n}") for n in range(50))
    assert sorted(raws) == sorted(events) == expected


def test_a_batch_is_stored_exactly_as_it_reads_back(bridge):
    """The inbox's hand-built multi-row INSERT goes through each column's bind processor."""
    body = json.dumps({"type": "order.created", "id": 2**63 - 1}).encode()
    written = [entry(f"k{n}", body=body) for n in range(1203)]  # three statements of <= 500
    bridge.inbox.write(written)

    _, rows = bridge.inbox.claim(2000, lease_s=60)
    assert [row.event.dedupe_key for row in rows] == [f"k{n}" for n in range(1203)]
    first = rows[0]
    assert first.event == written[0].event
    assert first.received_at == written[0].received_at
    assert (first.tenant_id, first.platform, first.source_id) == (
        "tenant-a",
        "standard",
        "src_test",
    )


def test_flushed_rows_are_pruned_after_their_retention_and_a_late_redelivery_lands_once(bridge):
    bridge.inbox.write([entry("old"), entry("recent")])
    assert bridge.flusher().flush_all().flushed == 2
    bridge.inbox.write([entry("dead")])
    token, rows = bridge.inbox.claim(10, lease_s=60)
    bridge.inbox.mark_failed(token, rows, "boom", max_attempts=1, backoff_s=1, backoff_max_s=1)
    bridge.inbox.write([entry("waiting")])
    eight_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
    with bridge.engine.begin() as connection:
        old = inbox_table.c.dedupe_key == "old"
        connection.execute(update(inbox_table).where(old).values(flushed_at=eight_days_ago))

    assert bridge.inbox.prune_flushed(7 * 24 * 3600, chunk=1) == 1
    status = bridge.inbox.status()
    assert (status.flushed, status.pending, status.dead) == (1, 1, 1)  # only "old" went

    # A redelivery of "old" after its inbox row is gone is stored and flushed again, onto the
    # same stable lake row: the lake still holds it once.
    bridge.inbox.write([entry("old")])
    assert bridge.flusher().flush_all().flushed == 2  # "old" again and "waiting"
    bridge.lake.close()
    raws, events = landed_raw_ids(bridge.settings.lake_path, "tenant-a")
    old_id = raw_id("tenant-a", "standard", "old")
    assert raws.count(old_id) == events.count(old_id) == 1
    assert len(raws) == len(events) == 3


def test_the_running_flusher_prunes_what_is_past_the_retention(bridge):
    bridge.inbox.write([entry("old")])
    bridge.flusher().flush_all()
    with bridge.engine.begin() as connection:
        aged = dt.datetime.now(dt.UTC) - dt.timedelta(
            seconds=bridge.settings.bridge.inbox_retention_s + 60
        )
        connection.execute(update(inbox_table).values(flushed_at=aged))
    bridge.inbox.write([entry("new")])
    stop = threading.Event()

    bridge.flusher().run(stop, on_pass=lambda _: stop.set())  # one pass

    status = bridge.inbox.status()
    assert (status.flushed, status.pending) == (1, 0)  # "old" pruned, "new" flushed


def test_failures_back_off_then_go_dead_with_their_error_and_can_be_replayed(bridge):
    bridge.inbox.write([entry("k1"), entry("k2")])
    token, rows = bridge.inbox.claim(10, lease_s=60)
    assert len(rows) == 2

    dead = bridge.inbox.mark_failed(
        token, rows, "lake down", max_attempts=2, backoff_s=60, backoff_max_s=60
    )
    assert dead == 0
    assert bridge.inbox.claim(10, lease_s=60)[1] == []  # waiting out the backoff
    with bridge.engine.begin() as connection:
        connection.execute(update(inbox_table).values(next_attempt_at=NOW))
    token, rows = bridge.inbox.claim(10, lease_s=60)
    assert (
        bridge.inbox.mark_failed(
            token, rows, "lake still down", max_attempts=2, backoff_s=1, backoff_max_s=1
        )
        == 2
    )

    letters = bridge.inbox.dead_letters()
    assert [(d.dedupe_key, d.attempts, d.last_error) for d in letters] == [
        ("k1", 2, "lake still down"),
        ("k2", 2, "lake still down"),
    ]
    assert bridge.inbox.replay([letters[0].id]) == 1
    assert bridge.flusher().flush_all().flushed == 1
    assert bridge.inbox.status().dead == 1


def test_an_event_that_cannot_be_normalized_is_dead_lettered_alone(bridge):
    bridge.inbox.write([entry("good"), entry("bad", body=b"\xff not json")])

    result = bridge.flusher().flush_all()

    assert (result.flushed, result.dead) == (1, 1)
    [letter] = bridge.inbox.dead_letters()
    assert letter.dedupe_key == "bad" and "could not normalize" in (letter.last_error or "")


def test_concurrent_claims_never_share_a_row(bridge):
    bridge.inbox.write([entry(f"k{n}") for n in range(400)])
    claimed: list[list[int]] = []

    def claim_all() -> None:
        mine: list[int] = []
        while rows := bridge.inbox.claim(7, lease_s=60)[1]:
            mine += [row.id for row in rows]
        claimed.append(mine)

    workers = [threading.Thread(target=claim_all) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    every = [row_id for mine in claimed for row_id in mine]
    assert len(every) == len(set(every)) == 400


runner = CliRunner()


def test_cli_sources_api_keys_and_inbox(tmp_path, monkeypatch):
    monkeypatch.setenv("MI_HOME", str(tmp_path / ".mi"))
    added = runner.invoke(
        app, ["sources", "add", "--platform", "standard", "--tenant", "t1", "--json"]
    )
    assert added.exit_code == 0, added.output
    shown = json.loads(added.stdout)
    assert shown["secret"].startswith("whsec_")
    assert shown["webhook_path"] == f"/v1/webhooks/standard/{shown['source_id']}"

    listed = json.loads(runner.invoke(app, ["sources", "list", "--json"]).stdout)
    assert [s["source_id"] for s in listed] == [shown["source_id"]]
    assert "secret" not in listed[0]
    rotated = json.loads(
        runner.invoke(app, ["sources", "rotate", shown["source_id"], "--json"]).stdout
    )
    assert rotated["secret"] != shown["secret"]
    assert runner.invoke(app, ["sources", "disable", shown["source_id"]]).exit_code == 0

    bad = runner.invoke(app, ["sources", "add", "--platform", "myspace", "--tenant", "t1"])
    assert bad.exit_code == 1 and "Unknown platform" in bad.output
    both = runner.invoke(app, ["api-keys", "add", "--tenant", "t1", "--admin"])
    assert both.exit_code == 1
    key = json.loads(runner.invoke(app, ["api-keys", "add", "--tenant", "t1", "--json"]).stdout)
    assert key["api_key"].startswith(f"mi_{key['key_id']}_")

    status = json.loads(runner.invoke(app, ["inbox", "status", "--json"]).stdout)
    assert (status["pending"], status["dead"]) == (0, 0)
    assert "0 dead letters" in runner.invoke(app, ["inbox", "replay"]).stdout
    assert "0 flushed events" in runner.invoke(app, ["inbox", "prune"]).stdout
