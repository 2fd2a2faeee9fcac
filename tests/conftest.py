"""Shared fixtures: an embedded lake per test, settings isolated from the developer's own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketing_intel.lake import DuckDBLake
from marketing_intel.shared_instances import close_shared

# The BigQuery emulator fixture (`bigquery_emulator`), started once per session when used.
# The Langflow server fixture (`langflow_server`), likewise.
# The shared peers' fixtures (`postgres_url`, `machine_redis_url`), which tests need one, and
# `--no-peers` (`make check`): tests/peers.py.
pytest_plugins = [
    "tests.peers",
    "tests.bigquery_emulator",
    "tests.zerodb_standin",
    "tests.langflow_server",
]


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test runs from its own folder with no MI_ settings of the developer's shell
    (but loopback allowed for URLs typed into nodes), and leaves no shared instance open
    (`shared_lake`, `shared_cache`, ...: the next test gets its own)."""
    for name in list(os.environ):
        if name.startswith("MI_") and name != "MI_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    # The ZeroDB and Pinecone stand-ins listen on 127.0.0.1 over http: the tests allow it, as
    # an operator would for local services (tests of the refusal unset it).
    monkeypatch.setenv("MI_NODE_URL_ALLOWED_NETWORKS", "127.0.0.0/8")
    monkeypatch.chdir(tmp_path)
    yield
    close_shared()


@pytest.fixture
def lake(tmp_path: Path) -> DuckDBLake:
    """An empty embedded lake in the test's folder."""
    return DuckDBLake(tmp_path / "lake.duckdb")
