"""Backends opened once per process and configuration: the registry, and the lake and brand-voice
index the nodes share (on the real BigQuery emulator and the real embedded vector file)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from marketing_intel.brand_voice import (
    PineconeBrandVoiceIndex,
    open_brand_voice_index,
    shared_brand_voice_index,
)
from marketing_intel.cache import open_cache, shared_cache
from marketing_intel.config import Settings, load_settings
from marketing_intel.lake import open_lake, shared_lake
from marketing_intel.lake.bigquery_lake import BigQueryLake
from marketing_intel.memory import open_memory_store, shared_memory_store
from marketing_intel.shared_instances import Closable, SharedInstances, close_shared
from tests.bigquery_emulator import BigQueryEmulator
from tests.pinecone_standin import API_KEY, PineconeStandIn, run_standin


class Connection:
    """Something to share: counts its closes."""

    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_one_instance_per_identity_even_when_many_threads_ask_at_once() -> None:
    shared: SharedInstances[Connection] = SharedInstances()
    opened: list[Connection] = []

    def open_slowly() -> Connection:
        time.sleep(0.01)  # long enough for every thread to ask before the first open returns
        opened.append(Connection())
        return opened[-1]

    got: list[Connection] = []
    threads = [
        threading.Thread(target=lambda: got.append(shared.get(("a", 1), open_slowly)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 1
    assert all(connection is opened[0] for connection in got)
    assert shared.get(("a", 2), Connection) is not opened[0]


def test_close_all_closes_each_instance_once_and_forgets_it() -> None:
    shared: SharedInstances[Connection] = SharedInstances()
    first, second = shared.get("x", Connection), shared.get("y", Connection)
    shared.close_all()
    shared.close_all()
    assert (first.closed, second.closed) == (1, 1)
    assert shared.get("x", Connection) is not first


@pytest.fixture
def _fresh_shared() -> Iterator[None]:
    close_shared()
    yield
    close_shared()


@pytest.mark.usefixtures("_fresh_shared")
def test_bigquery_lakes_are_shared_per_configuration_and_component(
    bigquery_emulator: BigQueryEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MI_LAKE_BACKEND", "bigquery")
    monkeypatch.setenv("MI_BIGQUERY_PROJECT", bigquery_emulator.project)
    monkeypatch.setenv("MI_BIGQUERY_API_ENDPOINT", bigquery_emulator.endpoint)
    monkeypatch.setenv("MI_LAKE_DATASET", f"shared_{uuid.uuid4().hex[:8]}")
    lake = shared_lake(load_settings(), component="node")
    assert isinstance(lake, BigQueryLake)
    lake.apply_schema()
    counts = lake.row_counts()  # the shared client works
    assert shared_lake(load_settings(), component="node") is lake
    assert shared_lake(load_settings(), component="other-node") is not lake
    elsewhere = load_settings(lake_dataset=f"shared_{uuid.uuid4().hex[:8]}")
    assert shared_lake(elsewhere, component="node") is not lake
    close_shared()
    reopened = shared_lake(load_settings(), component="node")
    assert reopened is not lake
    assert reopened.row_counts() == counts


@pytest.mark.usefixtures("_fresh_shared")
def test_the_embedded_lake_is_shared_per_file() -> None:
    lake = shared_lake(load_settings())
    assert shared_lake(load_settings()) is lake
    assert shared_lake(load_settings(duckdb_path="other.duckdb")) is not lake


@pytest.fixture
def pinecone() -> Iterator[PineconeStandIn]:
    yield from run_standin(dimension=384)


@pytest.mark.usefixtures("_fresh_shared")
def test_brand_voice_indexes_are_shared_per_configuration(
    pinecone: PineconeStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = shared_brand_voice_index(load_settings())
    assert shared_brand_voice_index(load_settings()) is index
    monkeypatch.setenv("MI_VECTORS_PATH", "elsewhere.sqlite")
    assert shared_brand_voice_index(load_settings()) is not index

    def on_pinecone(host: str) -> Settings:
        # Each call makes a new SecretStr for the key: the identity compares it by value.
        return load_settings(
            brand_voice_backend="pinecone", pinecone_api_key=API_KEY, pinecone_index_host=host
        )

    remote = shared_brand_voice_index(on_pinecone(pinecone.url))
    assert isinstance(remote, PineconeBrandVoiceIndex)
    assert shared_brand_voice_index(on_pinecone(pinecone.url)) is remote
    for other in run_standin(dimension=384):
        assert shared_brand_voice_index(on_pinecone(other.url)) is not remote
        close_shared()


def test_open_is_always_fresh_and_shared_always_the_same_until_close_shared() -> None:
    """Every layer: `open_*` gives its caller an object of its own, `shared_*` the process's
    one, and one `close_shared()` closes them all (the next `shared_*` opens another)."""
    settings = load_settings()
    layers: list[tuple[Callable[[Settings], Closable], Callable[[Settings], Closable]]] = [
        (open_lake, shared_lake),
        (open_cache, shared_cache),
        (open_memory_store, shared_memory_store),
        (open_brand_voice_index, shared_brand_voice_index),
    ]
    shared = []
    for open_one, shared_one in layers:
        first, second = open_one(settings), open_one(settings)
        assert first is not second
        assert first is not shared_one(settings)
        first.close()
        second.close()
        shared.append(shared_one(settings))
        assert shared_one(load_settings()) is shared[-1]
    closes = Connection()
    registry: SharedInstances[Connection] = SharedInstances()
    registry.get("any", lambda: closes)
    close_shared()
    assert closes.closed == 1  # every registry, also one this process made itself
    for (_, shared_one), before in zip(layers, shared, strict=True):
        assert shared_one(settings) is not before
