"""The flusher: inbox rows into the lake, in batches, exactly once.

Each claimed row is normalized (`marketing_intel.webhooks.normalize`) into a `platform_events` row
and an `integration_raw_data` row whose ids are derived from (tenant, platform, dedupe key) only,
so writing the same batch again changes nothing in the lake: the lake skips rows whose key exists.
That is what makes a crash between the lake write and `mark_flushed` harmless.

A failed write, whatever the error, is isolated by halving the batch until the failing row
stands alone; the rest of the batch (every other tenant's rows included) lands in the same pass.
Each failure counts an attempt: the row waits `backoff * 2**attempts` seconds (capped) and is
dead-lettered with its error after `max_attempts`. A row that cannot be normalized, or that the
lake rejects as invalid, is dead-lettered at once. When the lake is away (locked, unreachable,
misconfigured) the batch waits as a whole, each row counting an attempt.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from marketing_intel.bridge.inbox import Inbox, InboxRow
from marketing_intel.bridge.sources import SourceRegistry
from marketing_intel.config import Settings
from marketing_intel.errors import MarketingIntelError
from marketing_intel.lake import (
    InvalidRows,
    Lake,
    LakeBusy,
    LakeConfigError,
    LakeError,
    QueryTimeout,
)
from marketing_intel.lake.arrow_schema import arrow_schema
from marketing_intel.lake.schema import table_spec
from marketing_intel.webhooks import NormalizedEvent, normalize

_log = logging.getLogger(__name__)


def raw_id(tenant_id: str, platform: str, dedupe_key: str) -> str:
    """The stable id of an inbox row's raw record in the lake."""
    digest = hashlib.sha256(f"{tenant_id}\x00{platform}\x00{dedupe_key}".encode()).hexdigest()
    return f"raw_{digest[:32]}"


@dataclass(frozen=True)
class FlushPolicy:
    """Batch size, lease and retry schedule of the flusher."""

    batch_size: int = 5000
    lease_s: float = 120.0
    max_attempts: int = 8
    backoff_s: float = 1.0
    backoff_max_s: float = 300.0
    idle_wait_s: float = 0.5
    retention_s: float = 7 * 24 * 3600
    prune_every_s: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> FlushPolicy:
        """The policy the `MI_BRIDGE_FLUSH_*` settings describe."""
        return cls(
            batch_size=settings.bridge.flush_batch_size,
            max_attempts=settings.bridge.flush_max_attempts,
            backoff_s=settings.bridge.flush_backoff_s,
            backoff_max_s=settings.bridge.flush_backoff_max_s,
            idle_wait_s=settings.bridge.flush_interval_s,
            retention_s=settings.bridge.inbox_retention_s,
        )


@dataclass
class FlushResult:
    """What one flush pass did."""

    claimed: int = 0
    flushed: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


class Flusher:
    """Moves inbox rows to the lake; any number may run on one database."""

    def __init__(
        self, inbox: Inbox, lake: Lake, sources: SourceRegistry, policy: FlushPolicy
    ) -> None:
        self._inbox = inbox
        self._lake = lake
        self._sources = sources
        self._policy = policy
        self._salts: dict[str, bytes] = {}

    def flush_once(self) -> FlushResult:
        """Claim one batch of due rows and write it to the lake."""
        token, rows = self._inbox.claim(self._policy.batch_size, lease_s=self._policy.lease_s)
        result = FlushResult(claimed=len(rows))
        if not rows:
            return result
        try:  # our own configuration (the key that opens the salts): retry, never dead-letter
            salts = {tenant: self._salt(tenant) for tenant in {row.tenant_id for row in rows}}
        except MarketingIntelError as error:
            self._retry_later(token, rows, str(error), result)
            return result
        normalized, poisoned = self._normalize(rows, salts)
        for row, reason in poisoned:
            result.dead += self._dead_letter(token, [row], reason)
        written, rejected = self._write(token, normalized, result)
        if written:
            self._inbox.mark_flushed(token, [row.id for row, _ in written])
            result.flushed += len(written)
        for row, reason in rejected:
            result.dead += self._dead_letter(token, [row], reason)
        return result

    def flush_all(self) -> FlushResult:
        """Flush until no row is due (for `mi bridge flush --once` and tests)."""
        total = FlushResult()
        while True:
            result = self.flush_once()
            total.claimed += result.claimed
            total.flushed += result.flushed
            total.retried += result.retried
            total.dead += result.dead
            total.errors += result.errors
            if result.claimed == 0 or result.retried:
                return total

    def run(
        self, stop: threading.Event, on_pass: Callable[[FlushResult], None] | None = None
    ) -> None:
        """Flush until `stop` is set; waits `idle_wait_s` whenever nothing was due. Every
        `prune_every_s` it also deletes the flushed rows past their retention."""
        next_prune = time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= next_prune:
                next_prune = time.monotonic() + self._policy.prune_every_s
                self._prune()
            try:
                result = self.flush_once()
            except MarketingIntelError as error:  # the inbox database is away: try again later
                _log.warning("Flush pass failed: %s", error)
                result = FlushResult(retried=1, errors=[str(error)])
            except Exception as error:  # a bug: keep the process serving, try again later
                _log.exception("Flush pass failed")
                result = FlushResult(retried=1, errors=[repr(error)])
            if on_pass is not None:
                on_pass(result)
            if result.claimed < self._policy.batch_size or result.retried:
                stop.wait(self._policy.idle_wait_s)

    def _prune(self) -> None:
        try:
            pruned = self._inbox.prune_flushed(self._policy.retention_s)
        except MarketingIntelError as error:  # the database is away: the next pass retries
            _log.warning("Pruning flushed inbox rows failed: %s", error)
            return
        except Exception:  # a bug: keep flushing, which matters more than pruning
            _log.exception("Pruning flushed inbox rows failed")
            return
        if pruned:
            _log.info("Pruned %d flushed inbox rows past their retention", pruned)

    def _normalize(
        self, rows: list[InboxRow], salts: dict[str, bytes]
    ) -> tuple[list[tuple[InboxRow, NormalizedEvent]], list[tuple[InboxRow, str]]]:
        normalized, poisoned = [], []
        for row in rows:
            try:
                event = normalize(
                    row.platform,
                    row.event,
                    tenant_id=row.tenant_id,
                    raw_id=raw_id(row.tenant_id, row.platform, row.event.dedupe_key),
                    received_at=row.received_at,
                    salt=salts[row.tenant_id],
                )
            except Exception as error:  # one bad event must not hold back the others
                _log.exception("Inbox row %d could not be normalized", row.id)
                poisoned.append((row, f"could not normalize: {type(error).__name__}: {error}"))
            else:
                normalized.append((row, event))
        return normalized, poisoned

    def _write(
        self, token: str, batch: list[tuple[InboxRow, NormalizedEvent]], result: FlushResult
    ) -> tuple[list[tuple[InboxRow, NormalizedEvent]], list[tuple[InboxRow, str]]]:
        """Write the batch; a failing batch is halved until each failing row stands alone, so
        one bad row costs about 2 * log2(batch) writes and never holds back the others.

        A lone failing row counts an attempt and waits its backoff (dead after `max_attempts`);
        one the lake rejects as invalid is dead at once (writing it again cannot help). When the
        lake itself is away the (sub)batch waits as a whole: splitting would only repeat it.
        Returns the rows written and the rows rejected as invalid.
        """
        if not batch:
            return [], []
        try:
            self._insert(batch)
            return batch, []
        except _LAKE_AWAY as error:
            self._retry_later(token, [row for row, _ in batch], str(error), result)
            return [], []
        except Exception as error:  # whatever it is, it may be one row's doing: split
            if len(batch) == 1:
                return self._failed_alone(token, batch[0][0], error, result)
        middle = len(batch) // 2
        first = self._write(token, batch[:middle], result)
        second = self._write(token, batch[middle:], result)
        return first[0] + second[0], first[1] + second[1]

    def _failed_alone(
        self, token: str, row: InboxRow, error: Exception, result: FlushResult
    ) -> tuple[list[tuple[InboxRow, NormalizedEvent]], list[tuple[InboxRow, str]]]:
        if isinstance(error, InvalidRows):
            return [], [(row, str(error))]
        if not isinstance(error, LakeError):  # not the lake's sentence: likely a bug, keep it
            _log.error("Inbox row %d could not be written", row.id, exc_info=error)
        reason = str(error) if isinstance(error, LakeError) else f"{type(error).__name__}: {error}"
        self._retry_later(token, [row], reason, result)
        return [], []

    def _insert(self, batch: list[tuple[InboxRow, NormalizedEvent]]) -> None:
        # Raw first: an event row never points at a raw row that is not there.
        raws = [event.raw for _, event in batch]
        self._lake.insert("integration_raw_data", _arrow_rows("integration_raw_data", raws))
        events = [event.platform_event for _, event in batch]
        self._lake.insert("platform_events", _arrow_rows("platform_events", events))

    def _retry_later(
        self,
        token: str,
        rows: list[InboxRow],
        error: str,
        result: FlushResult,
    ) -> None:
        _log.warning("Flushing %d rows failed, will retry: %s", len(rows), error)
        result.errors.append(error)
        dead = self._inbox.mark_failed(
            token,
            rows,
            error,
            max_attempts=self._policy.max_attempts,
            backoff_s=self._policy.backoff_s,
            backoff_max_s=self._policy.backoff_max_s,
        )
        result.dead += dead
        result.retried += len(rows) - dead

    def _dead_letter(self, token: str, rows: list[InboxRow], error: str) -> int:
        _log.error("Dead-lettering %d inbox rows: %s", len(rows), error)
        return self._inbox.mark_failed(
            token, rows, error, max_attempts=1, backoff_s=0, backoff_max_s=0
        )

    def _salt(self, tenant_id: str) -> bytes:
        if tenant_id not in self._salts:
            self._salts[tenant_id] = self._sources.tenant_salt(tenant_id)
        return self._salts[tenant_id]


# The lake is unreachable, locked or misconfigured: no row is at fault, so nothing is split.
_LAKE_AWAY = (LakeBusy, LakeConfigError, QueryTimeout, OSError)


def _arrow_rows(table: str, rows: list[dict[str, Any]]) -> pa.Table | list[dict[str, Any]]:
    """The rows as an Arrow table in the lake's schema, converted in C++ (the lake then checks it
    column by column, far faster than value by value); the dictionaries themselves when Arrow
    refuses a value, so that the lake's row-by-row check names the bad row."""
    schema = arrow_schema(table_spec(table))
    try:
        # Column by column: Table.from_pylist is ~40x slower on the timestamp columns.
        columns = [pa.array([row.get(f.name) for row in rows], type=f.type) for f in schema]
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return rows
    return pa.Table.from_arrays(columns, schema=schema)
