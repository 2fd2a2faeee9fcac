"""Crash test: 10k signed webhooks (10% redeliveries) to a real bridge process on PostgreSQL,
SIGKILLed mid-run and restarted. Every acknowledged delivery lands in the lake exactly once and
nothing else does. The client behaves like a platform: what got no 2xx is sent again later."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from marketing_intel.bridge import open_bridge
from marketing_intel.config import load_settings
from tests.bridge_support import (
    BridgeProcess,
    expected_raw_id,
    landed_raw_ids,
    postgres_database,
    standard_webhook,
)

TOTAL = 10_000
CONCURRENCY = 16
TENANT = "tenant-crash"


@pytest.fixture(scope="module")
def database_url(postgres_url: str):
    with postgres_database(postgres_url, "mi_bridge_crash") as url:
        yield url


def deliveries(count: int) -> list[str]:
    """Delivery ids in sending order; every tenth repeats an earlier delivery."""
    return [f"msg_{n - 5 if n % 10 == 9 else n}" for n in range(count)]


async def send_all(
    url: str, secret: str, ids: list[str], *, kill_after: int | None, bridge: BridgeProcess
) -> tuple[set[str], set[str]]:
    """Send each delivery once; returns (acknowledged ids, ids that got no 2xx)."""
    acknowledged: set[str] = set()
    failed: set[str] = set()
    queue = iter(ids)
    answered = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal answered
        for webhook_id in queue:
            body = json.dumps({"type": "order.created", "data": {"delivery": webhook_id}}).encode()
            headers = standard_webhook(secret, webhook_id, body)
            try:
                answer = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError:
                failed.add(webhook_id)
                continue
            answered += 1
            if answer.status_code == 200:
                acknowledged.add(webhook_id)
            else:
                assert answer.status_code == 503, answer.text  # never a 4xx for our failure
                failed.add(webhook_id)
            if kill_after is not None and answered == kill_after:
                bridge.kill()

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return acknowledged, failed - acknowledged


def wait_until_flushed(settings, expected: int, timeout_s: float = 180) -> None:
    bridge = open_bridge(settings)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            status = bridge.inbox.status()
            if status.flushed == expected and status.pending == 0:
                assert status.dead == 0
                return
            time.sleep(0.5)
        raise AssertionError(f"inbox not flushed in time: {status}")
    finally:
        bridge.close()


@pytest.mark.timeout(600)
def test_sigkill_mid_run_loses_and_duplicates_nothing(tmp_path: Path, database_url: str):
    key = Fernet.generate_key().decode()
    env = {
        "MI_HOME": str(tmp_path / ".mi"),
        "MI_BRIDGE_DATABASE_URL": database_url,
        "MI_BRIDGE_SECRET_KEY": key,
        "MI_BRIDGE_FLUSH_BATCH_SIZE": "500",
    }
    settings = load_settings(
        home=tmp_path / ".mi", bridge_database_url=database_url, bridge_secret_key=key
    )
    created = open_bridge(settings).sources.add("standard", TENANT)
    assert created.secret is not None
    ids = deliveries(TOTAL)
    bridge = BridgeProcess(env, tmp_path).start()
    url = f"{bridge.url}{created.source.webhook_path}"
    try:
        acknowledged, failed = asyncio.run(
            send_all(url, created.secret, ids, kill_after=TOTAL // 3, bridge=bridge)
        )
        assert bridge.process is not None and bridge.process.returncode == -9
        assert failed, "the kill should have cut some requests off"
        bridge.start()
        retried, still_failed = asyncio.run(
            send_all(url, created.secret, sorted(failed), kill_after=None, bridge=bridge)
        )
        assert still_failed == set()
        acknowledged |= retried
        assert acknowledged == set(ids)
        wait_until_flushed(settings, expected=len(acknowledged))
    finally:
        bridge.stop()

    raws, events = landed_raw_ids(settings.lake_path, TENANT)
    expected = sorted(expected_raw_id(TENANT, "standard", i) for i in acknowledged)
    assert sorted(raws) == expected
    assert sorted(events) == expected
