"""What the job tests share: Redis key prefixes, a private redis-server, worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from flow_runners import LfxRunner
from marketing_intel.jobs import FlowRunQueue, FlowRunRecord, JobState, JobStatus
from marketing_intel.jobs.flows import FlowCatalog
from marketing_intel.jobs.processing import FlowRunProcessor
from tests.peers import MACHINE_REDIS_URL  # noqa: F401 (the job tests import it from here)

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def unique_prefix() -> str:
    """A BullMQ key prefix no other test (or helper sharing this Redis) uses."""
    return f"mi-test-{uuid.uuid4().hex[:12]}"


def delete_prefix(url: str, prefix: str) -> None:
    """Remove every key under `prefix`."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll `check` until it holds; fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@dataclass
class RedisServer:
    """A redis-server of the test's own (append-only file, so a restart keeps the jobs)."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers."""
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "always"]
        command += ["--save", "", "--protected-mode", "no"]
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port)
        try:
            wait_until(lambda: _answers(client), "redis-server to start", timeout=20)
        finally:
            client.close()

    def stop(self) -> None:
        """Shut it down cleanly (it writes its data first)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
        self.process = None


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    """A started private redis-server, stopped at the end."""
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def mi_command() -> list[str]:
    """How to run `mi` from this venv."""
    executable = Path(sys.executable).with_name("mi")
    return [str(executable)] if executable.exists() else [sys.executable, "-m", "marketing_intel"]


@contextlib.contextmanager
def worker_process(env: dict[str, str], log: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """`mi worker` in a subprocess with `env` added; killed at the end if still running."""
    full_env = {**os.environ, **env, "LANGFLOW_DO_NOT_TRACK": "true"}
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*mi_command(), "worker", *args], env=full_env, stdout=output, stderr=output
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


@dataclass
class RecordingSink:
    """A result sink that keeps records by key in memory and counts its writes."""

    name: str = "recording"
    records: dict[str, FlowRunRecord] = field(default_factory=dict)
    writes: int = 0

    async def store(self, record: FlowRunRecord) -> str:
        """Keep `record` under its key (a second write replaces it)."""
        self.writes += 1
        self.records[record.key] = record
        return record.key

    async def aclose(self) -> None:
        """Nothing to release."""


def processor_for(flows: Path, *sinks: RecordingSink) -> FlowRunProcessor:
    """A processor running the flows of `flows` in process."""
    return FlowRunProcessor(LfxRunner(FlowCatalog([flows])), sinks)


@contextlib.asynccontextmanager
async def working(
    queue: FlowRunQueue, processor: FlowRunProcessor, concurrency: int = 2
) -> AsyncIterator[None]:
    """The queue's worker running in this event loop for the block."""
    stopping = asyncio.Event()
    task = asyncio.create_task(queue.work(processor, concurrency=concurrency, stopping=stopping))
    try:
        yield
    finally:
        stopping.set()
        await asyncio.wait_for(task, timeout=60)


async def wait_for(
    queue: FlowRunQueue, job_id: str, states: tuple[JobState, ...], timeout: float = 90.0
) -> JobStatus:
    """The job's status once it reaches one of `states`."""
    deadline = time.monotonic() + timeout
    while True:
        status = await queue.status(job_id)
        if status is not None and status.state in states:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} is {status and status.state}, not in {states}")
        await asyncio.sleep(0.05)
