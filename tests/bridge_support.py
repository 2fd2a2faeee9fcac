"""Helpers of the bridge tests: signed webhooks, a bridge server process, throwaway databases.

Everything here is real: uvicorn subprocesses on free 127.0.0.1 ports, PostgreSQL databases created
on the test server (unique names, dropped afterwards), PostgreSQL clusters from `initdb`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from marketing_intel.bridge.flusher import raw_id
from marketing_intel.lake import DuckDBLake, QueryLimits
from marketing_intel.webhooks.platforms.standard import sign_standard

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def standard_webhook(
    secret: str, webhook_id: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """Headers of a JSON Standard Webhooks request signing `body` with `secret` (whsec_...)."""
    signed = sign_standard(body, secret, webhook_id=webhook_id, timestamp=timestamp)
    return {"content-type": "application/json", **signed}


@contextlib.contextmanager
def postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new empty database on the test server; dropped (with its connections) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class BridgeProcess:
    """`uvicorn bridge_api.app:create_app` in a subprocess with the given `MI_` environment."""

    def __init__(self, env: dict[str, str], cwd: Path, *, port: int | None = None) -> None:
        self.env = env
        self.cwd = cwd
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = cwd / f"bridge-{self.port}.log"

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90) -> BridgeProcess:
        """Start the server and wait until /healthz answers."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MI_")}
        env.update(self.env)
        env["PYTHONPATH"] = str(REPO)
        command = [
            sys.executable, "-m", "uvicorn", "bridge_api.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
            "--no-access-log",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bridge exited: {self.log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"bridge did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)

    def stop(self) -> None:
        """SIGTERM and wait for a clean shutdown (SIGKILL after 30 s)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


class ThrowawayPostgres:
    """A private PostgreSQL cluster (initdb + pg_ctl) on a free port, to stop and start at will.

    Never the machine's shared server: that one other helpers use.
    """

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self) -> None:
        # Its own folder under /tmp: the server user must reach it (pytest's tmp is root-only).
        self.root = Path(tempfile.mkdtemp(prefix="mi-pg-"))
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: it runs as postgres
            shutil.chown(self.root, "postgres")
        self.data = self.root / "data"
        self.port = free_port()
        self.log = self.root / "postgres.log"

    @property
    def url(self) -> str:
        """URL of its `postgres` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> ThrowawayPostgres:
        """Create the cluster (trust auth, user postgres)."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        return self

    def start(self) -> None:
        """Start it and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop it immediately."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)

    def remove(self) -> None:
        """Stop it and delete its files."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        command = [str(self.BIN / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=check, capture_output=True, timeout=120)


def landed_raw_ids(lake_path: Path, tenant_id: str) -> tuple[list[str], list[str]]:
    """raw_id of every integration_raw_data row and of every platform_events row of a tenant."""
    lake = DuckDBLake(lake_path)
    try:
        raws = lake.query(
            "SELECT raw_id FROM integration_raw_data", tenant_id=tenant_id, limits=_no_limit()
        )
        events = lake.query(
            "SELECT raw_id FROM platform_events", tenant_id=tenant_id, limits=_no_limit()
        )
    finally:
        lake.close()
    return [r["raw_id"] for r in raws.rows()], [r["raw_id"] for r in events.rows()]


def _no_limit() -> QueryLimits:
    return QueryLimits(row_limit=10_000_000, timeout_s=120)


def expected_raw_id(tenant_id: str, platform: str, dedupe_key: str) -> str:
    """The raw_id the flusher gives an event."""
    return raw_id(tenant_id, platform, dedupe_key)
