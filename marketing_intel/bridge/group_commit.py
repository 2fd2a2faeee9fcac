"""Group commit: many requests share one inbox transaction, each answered after that commit.

A durable commit per request costs most of a receiver's throughput (fsync, round trips). Here every
request hands its entries to one writer task and waits; the writer takes everything that arrived,
writes it in one transaction in a worker thread and wakes the waiting requests with the outcome.
While a commit runs, the next batch gathers, so batches grow with the load and nothing waits on a
timer. A failed commit fails every request in it (each then answers 503 and is retried by its
platform); nothing is acknowledged that is not committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from marketing_intel.bridge.errors import BridgeUnavailable
from marketing_intel.bridge.inbox import InboxEntry

_log = logging.getLogger(__name__)

WriteBatch = Callable[[Sequence[InboxEntry]], None]


class GroupCommitWriter:
    """Writes inbox entries of concurrent requests in shared transactions."""

    def __init__(self, write_batch: WriteBatch, *, max_batch: int = 2000) -> None:
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._waiting: list[tuple[list[InboxEntry], asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # One thread of its own: commits are sequential anyway, and one thread stays warm where
        # the shared pool would hand each batch to another.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox-writer")

    def start(self) -> None:
        """Start the writer task on the running event loop."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="inbox-writer")

    async def stop(self) -> None:
        """Stop the writer after it has written what it holds."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._fail(self._waiting, BridgeUnavailable("The bridge is shutting down; retry."))
        self._waiting = []
        self._thread.shutdown(wait=True)

    async def write(self, entries: list[InboxEntry]) -> None:
        """Return once `entries` are committed; raise `BridgeUnavailable` if they were not."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((entries, future))
        self._wakeup.set()
        await future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                batch = self._take_batch()
                await self._commit(batch)

    def _take_batch(self) -> list[tuple[list[InboxEntry], asyncio.Future[None]]]:
        taken, size = 0, 0
        for entries, _ in self._waiting:
            if size and size + len(entries) > self._max_batch:
                break
            taken, size = taken + 1, size + len(entries)
        batch, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return batch

    async def _commit(self, batch: list[tuple[list[InboxEntry], asyncio.Future[None]]]) -> None:
        entries = [entry for request_entries, _ in batch for entry in request_entries]
        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._thread, self._write_batch, entries)
        except BridgeUnavailable as error:
            self._fail(batch, error)
        except Exception:  # a bug: log it, answer "retry" (never a 4xx), keep serving
            _log.exception("The inbox could not store %d events", len(entries))
            self._fail(batch, BridgeUnavailable("The inbox could not store the event; retry."))
        else:
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    @staticmethod
    def _fail(batch: list[tuple[list[InboxEntry], asyncio.Future[None]]], error: Exception) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(error)
