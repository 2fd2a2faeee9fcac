"""A BigQuery emulator for the tests: local-bigquery on 127.0.0.1, driven by the real client.

The session-scoped fixture ``bigquery_emulator`` starts ``local-bigquery serve`` from the emulator's
own virtual environment (``.emulator-venv``, Python 3.13, built by ``make emulator``) on free ports,
with a fresh data directory, waits until it answers, and stops it after the session. It never
skips: if the emulator is missing or does not come up, the tests that use it fail with the reason
and the tail of the emulator's log.

Register it in ``tests/conftest.py`` with ``pytest_plugins = ["tests.bigquery_emulator"]``, or
import the fixture into a test module (``from tests.bigquery_emulator import bigquery_emulator``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

REPO_ROOT = Path(__file__).resolve().parents[1]
EMULATOR_VENV = REPO_ROOT / ".emulator-venv"
# DuckDB installs extensions under $HOME/.duckdb; `make emulator` imports them into this HOME.
EMULATOR_HOME = EMULATOR_VENV / "home"
EMULATOR_STAMP = EMULATOR_VENV / ".installed"
PROJECT = "test-project"
HOST = "127.0.0.1"
START_DEADLINE_S = 90.0  # measured 4-6 s; the notes saw 16 s on a first, cold start
STOP_TIMEOUT_S = 10.0
SERVER_ERRORS_BEFORE_FAILING = 3  # answers, but its DuckDB did not open (extension missing)
START_ATTEMPTS = 3  # a port chosen free may be taken before the emulator binds it
LOG_TAIL_LINES = 40
# Variables of the test run's Python that must not leak into the emulator's (another version).
_PYTHON_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")


@dataclass(frozen=True)
class BigQueryEmulator:
    """A running emulator: where it listens and how to reach it with the real client."""

    project: str
    endpoint: str
    grpc_endpoint: str
    data_dir: Path
    log_path: Path
    pid: int

    def client(self, project: str | None = None) -> bigquery.Client:
        """A google-cloud-bigquery client for this emulator, without credentials."""
        return bigquery.Client(
            project=project or self.project,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.endpoint},
        )

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the emulator's log."""
        return _tail(self.log_path, lines)


def _tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of a text file ("" if it does not exist)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 now (all held open while they are chosen)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _status(endpoint: str, project: str) -> int | None:
    """HTTP status of listing datasets (which opens the emulator's DuckDB); None if no answer."""
    url = f"{endpoint}/bigquery/v2/projects/{project}/datasets"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            json.load(response)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return None


def _port_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the emulator, then SIGKILL it if it has not exited after ``STOP_TIMEOUT_S``."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def _fail(message: str, log_path: Path | None = None) -> NoReturn:
    """Fail the requesting test with ``message`` and the tail of the emulator's log."""
    tail = _tail(log_path, LOG_TAIL_LINES) if log_path else ""
    if tail:
        message += f"\n--- last lines of {log_path} ---\n{tail}"
    pytest.fail(message, pytrace=False)


def start_emulator(
    workdir: Path, project: str = PROJECT
) -> tuple[subprocess.Popen[bytes], BigQueryEmulator]:
    """Start ``local-bigquery serve`` with its data and log in ``workdir``; wait until it answers.

    The caller owns the returned process and must stop it (``stop_emulator``). Fails the test, with
    the emulator's log, if the emulator is not installed, exits or does not answer in time. Starts
    again on other ports if a chosen port was taken in the meantime.
    """
    executable = EMULATOR_VENV / "bin" / "local-bigquery"
    if not executable.exists() or not EMULATOR_STAMP.exists():
        _fail(
            f"The BigQuery emulator is not installed ({executable} or {EMULATOR_STAMP} is "
            "missing): run `make emulator` (needs Python 3.13, e.g. `pyenv install 3.13`)."
        )
    for attempt in range(1, START_ATTEMPTS + 1):
        started = _start_once(executable, workdir, project, last_attempt=attempt == START_ATTEMPTS)
        if started is not None:
            return started
    raise AssertionError("unreachable: the last attempt fails the test")


def _start_once(
    executable: Path, workdir: Path, project: str, *, last_attempt: bool
) -> tuple[subprocess.Popen[bytes], BigQueryEmulator] | None:
    """One start on fresh ports; ``None`` if a port was taken (and this is not the last attempt)."""
    environment = {k: v for k, v in os.environ.items() if k not in _PYTHON_VARIABLES}
    environment["HOME"] = str(EMULATOR_HOME)  # DuckDB's extension directory is under $HOME/.duckdb
    environment["PYTHONUNBUFFERED"] = "1"
    data_dir = workdir / "data"
    log_path = workdir / "emulator.log"
    port, grpc_port = _free_ports(2)
    command = [
        str(executable),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--grpc-port",
        str(grpc_port),
        "--project",
        project,
        "--data-dir",
        str(data_dir),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # the emulator writes to the log file, never to a full pipe
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=environment
        )
    endpoint = f"http://{HOST}:{port}"
    deadline = time.monotonic() + START_DEADLINE_S
    server_errors = 0
    while True:
        status = _status(endpoint, project)
        if status == 200 and _port_open(grpc_port):
            break
        # Any other answer than 200 to listing datasets means its DuckDB did not open.
        server_errors = server_errors + 1 if status not in (None, 200) else 0
        if server_errors >= SERVER_ERRORS_BEFORE_FAILING:
            _stop(process)
            _fail(
                f"The BigQuery emulator at {endpoint} answers HTTP {status} ({' '.join(command)}). "
                "If the log mentions an extension, rebuild it: "
                "`rm -rf .emulator-venv && make emulator`.",
                log_path,
            )
        if process.poll() is not None:
            if not last_attempt and "address already in use" in _tail(log_path, 200).lower():
                return None
            _fail(
                f"The BigQuery emulator exited with code {process.returncode} while starting "
                f"({' '.join(command)}).",
                log_path,
            )
        if time.monotonic() > deadline:
            _stop(process)
            _fail(
                f"The BigQuery emulator did not answer at {endpoint} within "
                f"{START_DEADLINE_S:.0f} s ({' '.join(command)}).",
                log_path,
            )
        time.sleep(0.1)
    emulator = BigQueryEmulator(
        project=project,
        endpoint=endpoint,
        grpc_endpoint=f"{HOST}:{grpc_port}",
        data_dir=data_dir,
        log_path=log_path,
        pid=process.pid,
    )
    return process, emulator


def stop_emulator(process: subprocess.Popen[bytes]) -> None:
    """Stop an emulator started by ``start_emulator`` (SIGTERM, then SIGKILL after a timeout)."""
    _stop(process)


@pytest.fixture(scope="session")
def bigquery_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigQueryEmulator]:
    """A local-bigquery emulator for the whole session (project ``test-project``), stopped after."""
    process, emulator = start_emulator(tmp_path_factory.mktemp("bigquery-emulator"))
    try:
        yield emulator
    finally:
        stop_emulator(process)
