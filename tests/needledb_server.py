"""needledb (PyPI, FAISS-backed, written by others) on 127.0.0.1: an independent Pinecone-shaped
data plane for the Pinecone brand-voice tests.

It runs from its own virtual environment (`.needledb-venv`, built by `make needledb`, which
`make test` depends on). The session fixture starts `needledb serve` with an API key on a free
port and a temporary data directory, and stops it afterwards. It never skips: a missing venv or
a server that does not come up fails the tests that use it, with the reason.
"""

from __future__ import annotations

import json
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NEEDLEDB = REPO_ROOT / ".needledb-venv" / "bin" / "needledb"
START_DEADLINE_S = 60.0


@dataclass(frozen=True)
class NeedleDB:
    """A running needledb: its base URL and admin key."""

    url: str
    api_key: str

    def create_index(self, name: str, dimension: int) -> str:
        """Create an exact (flat) cosine index; return its data-plane host for the SDK.

        needledb's control plane is not Pinecone v10's, so the index is made with its own REST
        call; the SDK then talks to the index host only (data plane).
        """
        body = {"name": name, "dimension": dimension, "metric": "cosine", "index_type": "flat"}
        self._post("/indexes", body)
        return f"{self.url}/indexes/{name}"

    def _post(self, path: str, body: dict[str, object]) -> None:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Api-Key": self.api_key, "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture(scope="session")
def needledb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NeedleDB]:
    """A needledb server for the test session."""
    if not NEEDLEDB.exists():
        pytest.fail(f"{NEEDLEDB} is missing; build it with `make needledb`.", pytrace=False)
    data = tmp_path_factory.mktemp("needledb")
    key = secrets.token_hex(16)
    port = _free_port()
    log = (data / "server.log").open("wb")
    command = [str(NEEDLEDB), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--data", str(data / "data"), "--api-key", key, "--log-level", "warning"]
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (data / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"needledb did not start:\n{tail}", pytrace=False)
            time.sleep(0.1)
        yield NeedleDB(url, key)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
