"""The shared peers' fixtures; which tests need a peer, found without anyone marking them; and
`--no-peers` (`make check`).

A peer is a server outside the test process: the machine's PostgreSQL and Redis, the BigQuery
emulator, needledb, a Langflow server (and the browser that drives it), or a private server a test
starts from a program (redis-server, pg_ctl, node). Two rules find the tests that need one:

- at collection, a test that uses a peer fixture (directly or through other fixtures) is marked
  `peer`; `--no-peers` deselects it;
- at run time, under `--no-peers`, a test that connects to the shared PostgreSQL or Redis or
  starts a peer's program anyway (a fixture asked for by name, a URL constant, a helper that
  spawns a server) is skipped at that moment, with what it reached as the reason; from a thread
  of its own (a server's event loop), where a skip cannot reach the test, the test fails saying
  to use a peer fixture.

So `pytest --no-peers` runs only what needs nothing but this checkout's venv, and a new test is
sorted by what it does.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import redis

# Session fixtures that start or reach a peer; a test using one is marked `peer`.
PEER_FIXTURES = frozenset(
    {
        "postgres_url",
        "machine_redis_url",
        "bigquery_emulator",
        "needledb",
        "langflow_server",
        "langflow_dev_server",
    }
)
# Programs that are peers when a test starts them (by file name).
PEER_PROGRAMS = frozenset(
    {"redis-server", "pg_ctl", "initdb", "postgres", "node", "npm", "langflow", "needledb"}
)
# What tests reached from threads other than their own (see `_reached`).
_REACHED_FROM_THREADS: list[str] = []
DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
# The machine's Redis, shared by the tests (each under a key prefix of its own).
MACHINE_REDIS_URL = os.environ.get("MI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL (MI_TEST_DATABASE_URL, else 127.0.0.1:5432); fails if none answers."""
    url = os.environ.get("MI_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.OperationalError as error:
        pytest.fail(
            f"No PostgreSQL answers at {url} ({error}). Start one (on Debian: "
            "`pg_ctlcluster 15 main start`) or set MI_TEST_DATABASE_URL to a reachable database.",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def machine_redis_url() -> str:
    """The machine's Redis (MI_TEST_REDIS_URL, else 127.0.0.1:6379); fails if none answers."""
    client = redis.Redis.from_url(MACHINE_REDIS_URL, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(
            f"No Redis answers at {MACHINE_REDIS_URL} ({error}). Start one (on Debian: "
            "`service redis-server start`) or set MI_TEST_REDIS_URL to a reachable server.",
            pytrace=False,
        )
    finally:
        client.close()
    return MACHINE_REDIS_URL


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--no-peers`: the fast loop's selection."""
    parser.addoption(
        "--no-peers",
        action="store_true",
        help="run only the tests that need no peer (no PostgreSQL, Redis, emulator, needledb, "
        "Langflow server or browser): what `make check` runs",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; under `--no-peers`, watch what tests reach at run time."""
    config.addinivalue_line(
        "markers", "peer: needs a server outside the test process (set automatically)"
    )
    if config.getoption("--no-peers"):
        sys.addaudithook(_skip_on_peer_access(_peer_addresses()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that use a peer fixture; under `--no-peers`, deselect them."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & PEER_FIXTURES or item.get_closest_marker("langflow_server"):
            item.add_marker(pytest.mark.peer)
    if not config.getoption("--no-peers"):
        return
    deselected = [item for item in items if item.get_closest_marker("peer")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("peer")]


def _peer_addresses() -> frozenset[tuple[str, int]]:
    """(host, port) of the shared PostgreSQL and Redis, as the tests' settings name them."""
    database_url = os.environ.get("MI_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    addresses = set()
    for url in (database_url, MACHINE_REDIS_URL):
        parts = urlsplit(url)
        if parts.hostname and parts.port:
            addresses.add((parts.hostname, parts.port))
    if ("127.0.0.1", 5432) in addresses:
        addresses.add(("localhost", 5432))
    return frozenset(addresses)


def _skip_on_peer_access(addresses: frozenset[tuple[str, int]]) -> Any:
    """An audit hook that skips the running test when it reaches a peer from the test's own
    thread; from another thread (a server's event loop) a skip would only kill that thread, so
    the access is kept for `pytest_runtest_makereport` to fail the test over."""

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and tuple(address[:2]) in addresses:
                _reached(f"needs the peer at {address[0]}:{address[1]}")
        elif event == "subprocess.Popen":
            command = args[1] if isinstance(args[1], list | tuple) else [args[1]]
            # Every word's file name: a program may come wrapped (`runuser -u postgres -- pg_ctl`).
            names = {Path(os.fsdecode(word)).name for word in (args[0], *command) if word}
            if started := names & PEER_PROGRAMS:
                _reached(f"starts the peer program {min(started)}")

    return hook


def _reached(what: str) -> None:
    if threading.current_thread() is threading.main_thread():
        pytest.skip(f"{what} (make test runs it)")
    _REACHED_FROM_THREADS.append(what)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under `--no-peers`, a test that reached a peer from another thread fails, saying so."""
    outcome = yield
    if call.when != "teardown" or not _REACHED_FROM_THREADS:
        return
    reached = sorted(set(_REACHED_FROM_THREADS))
    _REACHED_FROM_THREADS.clear()
    report = outcome.get_result()
    report.outcome = "failed"
    report.longrepr = (
        f"{item.nodeid} {', '.join(reached)} from a thread of its own, which `--no-peers` cannot "
        f"skip: have it use a peer fixture ({', '.join(sorted(PEER_FIXTURES))}) so that "
        "`make check` leaves it out."
    )
