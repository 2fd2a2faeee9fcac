"""Outages against real processes: the embedded lake locked by another process (the bridge keeps
acknowledging, the inbox grows, everything lands once afterwards), and the bridge's PostgreSQL
stopped (503 with Retry-After, never a 4xx or a traceback). The PostgreSQL here is a private
cluster made with initdb on a free port, never the machine's shared server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from marketing_intel.bridge import open_bridge
from marketing_intel.config import load_settings
from tests.bridge_support import (
    BridgeProcess,
    ThrowawayPostgres,
    expected_raw_id,
    landed_raw_ids,
    standard_webhook,
)

LOCK_HOLDER = """
import sys, time, duckdb
while True:
    try:
        connection = duckdb.connect(sys.argv[1])
        break
    except duckdb.IOException:
        time.sleep(0.1)
print("locked", flush=True)
sys.stdin.readline()
connection.close()
"""


def post(client: httpx.Client, url: str, secret: str, webhook_id: str) -> httpx.Response:
    body = json.dumps({"type": "order.created", "data": {"delivery": webhook_id}}).encode()
    return client.post(url, content=body, headers=standard_webhook(secret, webhook_id, body))


def wait_for(condition, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.3)


@pytest.mark.timeout(400)
def test_locked_lake_keeps_acknowledging_and_lands_everything_once_after(tmp_path: Path):
    home = tmp_path / ".mi"
    settings = load_settings(home=home)
    created = open_bridge(settings).sources.add("standard", "tenant-outage")
    assert created.secret is not None
    env = {
        "MI_HOME": str(home),
        "MI_BRIDGE_FLUSH_BACKOFF_S": "0.5",
        "MI_BRIDGE_FLUSH_BACKOFF_MAX_S": "2",
        "MI_BRIDGE_FLUSH_MAX_ATTEMPTS": "1000",
    }
    bridge = BridgeProcess(env, tmp_path).start()
    url = f"{bridge.url}{created.source.webhook_path}"
    holder = subprocess.Popen(  # takes the lake's file lock once the bridge lets go of it
        [sys.executable, "-c", LOCK_HOLDER, str(settings.lake_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with httpx.Client(timeout=30) as client:
            answers = [post(client, url, created.secret, f"msg_{n}") for n in range(300)]
            assert {a.status_code for a in answers} == {200}
            ready = client.get(f"{bridge.url}/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["lake"] != "ok"
            inbox = open_bridge(settings).inbox
            time.sleep(2)  # the flusher keeps failing against the locked lake meanwhile
            assert inbox.status().pending == 300
            holder.communicate("release\n", timeout=30)
            wait_for(lambda: inbox.status().flushed == 300)
            assert inbox.status().pending == inbox.status().dead == 0
    finally:
        if holder.poll() is None:
            holder.kill()
        bridge.stop()

    raws, events = landed_raw_ids(settings.lake_path, "tenant-outage")
    expected = sorted(expected_raw_id("tenant-outage", "standard", f"msg_{n}") for n in range(300))
    assert sorted(raws) == sorted(events) == expected


@pytest.fixture
def private_postgres():
    server = ThrowawayPostgres().init()
    server.start()
    yield server
    server.remove()


@pytest.mark.timeout(300)
def test_database_outage_answers_503_with_retry_after(tmp_path: Path, private_postgres):
    key = Fernet.generate_key().decode()
    settings = load_settings(
        home=tmp_path / ".mi", bridge_database_url=private_postgres.url, bridge_secret_key=key
    )
    sources = open_bridge(settings).sources
    seen = sources.add("standard", "tenant-db")  # its secrets get cached by the server
    unseen = sources.add("standard", "tenant-db")  # looked up only during the outage
    env = {
        "MI_HOME": str(tmp_path / ".mi"),
        "MI_BRIDGE_DATABASE_URL": private_postgres.url,
        "MI_BRIDGE_SECRET_KEY": key,
        "MI_BRIDGE_SOURCE_CACHE_S": "600",
    }
    bridge = BridgeProcess(env, tmp_path).start()
    seen_url = f"{bridge.url}{seen.source.webhook_path}"
    unseen_url = f"{bridge.url}{unseen.source.webhook_path}"
    try:
        with httpx.Client(timeout=30) as client:
            assert post(client, seen_url, seen.secret or "", "before").status_code == 200
            private_postgres.stop()
            answers = [
                post(client, seen_url, seen.secret or "", "during-1"),
                post(client, unseen_url, unseen.secret or "", "during-2"),
                client.get(f"{bridge.url}/readyz"),
            ]
            for answer in answers:
                assert answer.status_code == 503, answer.text
                assert "Traceback" not in answer.text
            for answer in answers[:2]:
                assert answer.headers["retry-after"].isdigit()
                assert answer.json()["error"]["code"] == "unavailable"
            assert client.get(f"{bridge.url}/healthz").status_code == 200
            private_postgres.start()
            wait_for(
                lambda: post(client, seen_url, seen.secret or "", "during-1").status_code == 200
            )
            assert post(client, unseen_url, unseen.secret or "", "during-2").status_code == 200
    finally:
        bridge.stop()
