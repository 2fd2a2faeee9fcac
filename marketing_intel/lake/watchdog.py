"""Deadlines without a thread each: one daemon thread per process calls each callback when its
time comes, unless it was cancelled first.

Every lake query arms a timeout and every use of a DuckDB file re-arms its idle close. With
`threading.Timer` each of those started a thread, which took longer on a busy 2-core machine
(about 1 ms apiece) than the cache's watermark query itself. Almost every deadline is cancelled
long before it is due, so arming and cancelling are what must be cheap: a heap push and a flag.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable

_log = logging.getLogger(__name__)
# Cancelled deadlines stay in the heap until due; past this many, the heap is rebuilt without them.
_COMPACT_AFTER = 1024


class Deadline:
    """One armed callback; `cancel()` keeps it from running (if it has not started yet)."""

    __slots__ = ("callback", "cancelled", "due")

    def __init__(self, due: float, callback: Callable[[], object]) -> None:
        self.due = due
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Do not run the callback."""
        self.cancelled = True


class Watchdog:
    """Runs callbacks at their deadlines on one daemon thread, started on first use (and again
    in a forked child, which inherits no threads)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()  # ties: first armed, first run
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        os.register_at_fork(after_in_child=self._after_fork)

    def call_later(self, seconds: float, callback: Callable[[], object]) -> Deadline:
        """Run `callback` on the watchdog's thread in `seconds`, unless cancelled."""
        deadline = Deadline(time.monotonic() + seconds, callback)
        with self._condition:
            self._ensure_thread()
            heapq.heappush(self._heap, (deadline.due, next(self._order), deadline))
            if len(self._heap) > _COMPACT_AFTER:
                self._heap = [entry for entry in self._heap if not entry[2].cancelled]
                heapq.heapify(self._heap)
            if self._heap[0][2] is deadline:  # sooner than the thread was waiting for
                self._condition.notify()
        return deadline

    def _after_fork(self) -> None:
        # The child has none of the parent's threads, and the parent's deadlines are for its
        # own connections; the lock may have been held at the fork.
        self._heap = []
        self._condition = threading.Condition()
        self._thread = None

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mi-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        condition = self._condition
        while True:
            with condition:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    condition.wait(timeout)
                deadline = heapq.heappop(self._heap)[2]
            if deadline.cancelled:
                continue
            try:
                deadline.callback()
            except Exception:  # one failing callback must not stop every later deadline
                _log.exception("A watchdog callback failed")


# One per process: the lake's query timeouts and idle closes share its thread.
WATCHDOG = Watchdog()
