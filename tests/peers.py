"""The shared peers' fixtures; which tests need a peer, found without anyone marking them; the
slow tests; and `--no-peers` (`make check`: neither peers nor slow tests).

A peer is a server outside the test process: the machine's PostgreSQL and Redis, the BigQuery
emulator, needledb, a Langflow server (and the browser that drives it), or a private server a test
starts from a program (redis-server, pg_ctl, node). Two rules find the tests that need one:

- at collection, a test that uses a peer fixture (directly or through other fixtures) is marked
  `peer`; `--no-peers` deselects it;
- at run time, under `--no-peers`, a test that reaches a peer anyway (a peer fixture asked for
  by name, the shared Redis through a URL constant, a helper that starts a peer's program) is
  skipped at that moment, with what it reached as the reason; from a thread of its own (a
  server's event loop), where a skip cannot reach the test, the test fails saying to use a peer
  fixture. (PostgreSQL is reached through libpq, which Python's audit hooks do not see: the
  `postgres_url` fixture is the way to it.)

Slow tests (SLOW_TESTS: each over about 10 s here, mostly flows run by lfx in a subprocess,
many-process races, fuzzers, wheel builds and the benchmarks' smoke runs) are marked `slow` and
left out by `--no-peers` too; a test that takes over SLOW_S under `--no-peers` without the mark
is named at the end of the run, so the list stays true.

So `pytest --no-peers` runs only what needs nothing but this checkout's venv, and a new test is
sorted by what it does.
"""

from __future__ import annotations

import fnmatch
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
    {
        "redis-server",
        "pg_ctl",
        "initdb",
        "postgres",
        "node",
        "npm",
        "langflow",
        "needledb",
        "local-bigquery",
    }
)
# Tests that need no peer but take over about 10 s on this project's 2-core machines (node ids,
# fnmatch patterns; measured December 2026).
SLOW_TESTS = (
    "tests/test_benchmarks.py::*",
    "tests/test_flows.py::test_mi_flows_run_*",
    "tests/test_flows.py::test_the_agent_flow_without_a_model_key_names_the_variable_to_set",
    "tests/test_flows.py::test_the_committed_flows_are_a_fresh_export",
    "tests/test_template_flow.py::test_a_flow_with_a_template_node_runs_in_lfx",
    "tests/test_guard_fuzz.py::*",
    "tests/test_bridge_fuzz.py::*",
    "tests/test_packaging.py::*",
    "tests/test_sqlite_wal.py::test_many_processes_switching_a_new_file_to_wal_all_succeed",
    "tests/test_bridge_outages.py::test_locked_lake_keeps_acknowledging_*",
    "tests/test_insight_cache.py::test_fifty_callers_in_five_processes_compute_once*",
    "tests/test_bridge_flow_runs.py::test_an_unreachable_queue_is_a_503_with_retry_after",
)
SLOW_S = 10.0
# Tests that took over SLOW_S without the mark, for the end of the run.
_UNMARKED_SLOW: list[tuple[str, float]] = []
# What tests reached from threads other than their own (see `_reached`), and the tests skipped.
_REACHED_FROM_THREADS: list[str] = []
_SKIPPED: set[str] = set()
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
    config.addinivalue_line("markers", "slow: over about 10 s here (set from SLOW_TESTS)")
    if config.getoption("--no-peers"):
        sys.addaudithook(_skip_on_peer_access(_peer_addresses()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that use a peer fixture and the slow ones; under `--no-peers`, deselect
    both."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & PEER_FIXTURES or item.get_closest_marker("langflow_server"):
            item.add_marker(pytest.mark.peer)
        if any(fnmatch.fnmatchcase(item.nodeid, pattern) for pattern in SLOW_TESTS):
            item.add_marker(pytest.mark.slow)
    if not config.getoption("--no-peers"):
        return
    kept = [item for item in items if not _left_out(item)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if _left_out(item)])
        items[:] = kept


def _left_out(item: pytest.Item) -> bool:
    return bool(item.get_closest_marker("peer") or item.get_closest_marker("slow"))


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> None:
    """Under `--no-peers`, a peer fixture asked for by name (`request.getfixturevalue`), which
    collection cannot see, skips the test."""
    if fixturedef.argname in PEER_FIXTURES and request.config.getoption("--no-peers"):
        pytest.skip(f"needs the peer fixture {fixturedef.argname} (make test runs it)")


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
    """Under `--no-peers`, a test that reached a peer from another thread, and was not skipped
    for reaching one from its own, fails, saying so."""
    outcome = yield
    report = outcome.get_result()
    if call.when == "call" and call.duration > SLOW_S and not item.get_closest_marker("slow"):
        _UNMARKED_SLOW.append((item.nodeid, call.duration))
    if report.skipped:
        _SKIPPED.add(item.nodeid)
    if call.when != "teardown" or not _REACHED_FROM_THREADS:
        return
    reached = sorted(set(_REACHED_FROM_THREADS))
    _REACHED_FROM_THREADS.clear()
    if item.nodeid in _SKIPPED:
        return
    report.outcome = "failed"
    report.longrepr = (
        f"{item.nodeid} {', '.join(reached)} from a thread of its own, which `--no-peers` cannot "
        f"skip: have it use a peer fixture ({', '.join(sorted(PEER_FIXTURES))}) so that "
        "`make check` leaves it out."
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Under `--no-peers`, name the tests that took over SLOW_S without being in SLOW_TESTS."""
    if not config.getoption("--no-peers") or not _UNMARKED_SLOW:
        return
    terminalreporter.section("slow tests not in tests/peers.py SLOW_TESTS")
    for nodeid, seconds in sorted(_UNMARKED_SLOW, key=lambda entry: -entry[1]):
        terminalreporter.write_line(f"{seconds:6.1f} s  {nodeid}")
