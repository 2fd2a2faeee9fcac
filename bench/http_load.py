"""A small HTTP/1.1 load generator on raw asyncio streams (keep-alive, one request in flight per
connection), fast enough not to be the bottleneck on 2 cores, unlike a general client.

`closed_loop` sends as fast as the server answers (throughput); `open_loop` sends at a fixed rate
and measures each answer from the moment the request was due (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    """Status counts and acknowledgement latencies (seconds) of one run."""

    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def requests(self) -> int:
        """Requests answered."""
        return sum(self.statuses.values())

    @property
    def rps(self) -> float:
        """Answered requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        """A latency percentile in milliseconds."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def request_bytes(path: str, headers: dict[str, str], body: bytes, port: int) -> bytes:
    """One POST as it goes on the wire."""
    lines = [f"POST {path} HTTP/1.1", f"host: 127.0.0.1:{port}", f"content-length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _run(
    port: int, requests: Sequence[bytes], connections: int, rate: float | None
) -> LoadResult:
    result = LoadResult()
    queue = iter(enumerate(requests))
    started = time.perf_counter()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for index, request in queue:
                due = started + index / rate if rate else time.perf_counter()
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                try:
                    status = await _exchange(reader, writer, request)
                except (OSError, asyncio.IncompleteReadError):
                    result.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                result.latencies.append(time.perf_counter() - due)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    return result


def closed_loop(port: int, requests: Sequence[bytes], connections: int = 16) -> LoadResult:
    """Send every request as fast as the server answers."""
    return asyncio.run(_run(port, requests, connections, None))


def open_loop(
    port: int, requests: Sequence[bytes], rate: float, connections: int = 16
) -> LoadResult:
    """Send the requests at `rate` per second; latency counts from when each was due."""
    return asyncio.run(_run(port, requests, connections, rate))
