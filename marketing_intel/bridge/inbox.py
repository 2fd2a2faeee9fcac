"""The inbox: verified webhook events, durably stored before the platform gets its 2xx.

One row per `InboundEvent`, unique on (tenant_id, platform, dedupe_key): a redelivery inserts
nothing and is still acknowledged. Rows go pending -> flushed (by the flusher), or pending -> dead
after too many failed lake writes; dead rows keep their last error and can be replayed.

Claims are leases: a flusher takes due rows with `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has
a single writer at a time, so the claiming UPDATE itself is the lock) and stamps them with a claim
token until `claimed_until`. Another replica skips claimed rows; a crashed flusher's rows become
due again when the lease ends. Even then the lake write is idempotent (stable row ids), so a row
can never land twice.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import Engine

from marketing_intel.bridge.database import inbox, insert_new_only, transaction
from marketing_intel.webhooks import InboundEvent


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class InboxEntry:
    """A verified event on its way into the inbox."""

    tenant_id: str
    platform: str
    source_id: str
    event: InboundEvent
    received_at: dt.datetime

    def row(self) -> dict[str, Any]:
        """The inbox row."""
        return {
            "tenant_id": self.tenant_id,
            "platform": self.platform,
            "dedupe_key": self.event.dedupe_key,
            "source_id": self.source_id,
            "topic": self.event.topic,
            "occurred_at": self.event.occurred_at,
            "received_at": self.received_at,
            "headers": self.event.headers,
            "body": self.event.body,
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": self.received_at,
        }


@dataclass(frozen=True)
class InboxRow:
    """A claimed inbox row, as the flusher sees it."""

    id: int
    tenant_id: str
    platform: str
    source_id: str
    attempts: int
    received_at: dt.datetime
    event: InboundEvent


@dataclass(frozen=True)
class InboxStatus:
    """Counts per state and the age of the oldest pending row."""

    pending: int
    flushed: int
    dead: int
    oldest_pending_at: dt.datetime | None

    def lag_seconds(self, now: dt.datetime | None = None) -> float:
        """How long the oldest pending row has waited (0 when none waits)."""
        if self.oldest_pending_at is None:
            return 0.0
        return max(0.0, ((now or _now()) - self.oldest_pending_at).total_seconds())


@dataclass(frozen=True)
class DeadLetter:
    """A row the flusher gave up on, with the error that stopped it."""

    id: int
    tenant_id: str
    platform: str
    dedupe_key: str
    attempts: int
    last_error: str | None


class Inbox:
    """The inbox table of the bridge database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(self, entries: Sequence[InboxEntry]) -> None:
        """Store the entries in one transaction; entries already there are skipped."""
        with transaction(self.engine) as connection:
            insert_new_only(connection, inbox, [entry.row() for entry in entries])

    def claim(self, limit: int, *, lease_s: float) -> tuple[str, list[InboxRow]]:
        """Lease up to `limit` due pending rows, oldest first, for `lease_s` seconds."""
        now = _now()
        token = secrets.token_hex(16)
        due = (
            select(inbox)
            .where(
                inbox.c.state == "pending",
                inbox.c.next_attempt_at <= now,
                or_(inbox.c.claimed_until.is_(None), inbox.c.claimed_until < now),
            )
            .order_by(inbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with transaction(self.engine) as connection:
            rows = [_inbox_row(row._mapping) for row in connection.execute(due)]
            if rows:
                lease = now + dt.timedelta(seconds=lease_s)
                connection.execute(
                    update(inbox)
                    .where(inbox.c.id.in_([row.id for row in rows]))
                    .values(claimed_until=lease, claim_token=token)
                )
        return token, rows

    def mark_flushed(self, token: str, ids: Sequence[int]) -> None:
        """The rows reached the lake."""
        self._finish(token, ids, state="flushed", flushed_at=_now())

    def mark_failed(
        self,
        token: str,
        rows: Sequence[InboxRow],
        error: str,
        *,
        max_attempts: int,
        backoff_s: float,
        backoff_max_s: float,
    ) -> int:
        """Count a failed attempt; rows out of attempts go dead. Returns how many went dead."""
        dead_ids = [row.id for row in rows if row.attempts + 1 >= max_attempts]
        self._finish(token, dead_ids, state="dead", last_error=error)
        for attempts in sorted({row.attempts for row in rows if row.id not in set(dead_ids)}):
            delay = min(backoff_max_s, backoff_s * 2**attempts)
            ids = [row.id for row in rows if row.attempts == attempts and row.id not in dead_ids]
            self._finish(
                token,
                ids,
                state="pending",
                next_attempt_at=_now() + dt.timedelta(seconds=delay),
                last_error=error,
            )
        return len(dead_ids)

    def _finish(self, token: str, ids: Sequence[int], **values: Any) -> None:
        if not ids:
            return
        with transaction(self.engine) as connection:
            connection.execute(
                update(inbox)
                .where(and_(inbox.c.id.in_(ids), inbox.c.claim_token == token))
                .values(
                    claimed_until=None,
                    claim_token=None,
                    attempts=inbox.c.attempts + 1,
                    **values,
                )
            )

    def status(self, *, count_flushed: bool = True) -> InboxStatus:
        """Rows per state and the oldest pending row's arrival; `count_flushed=False` skips
        counting the (ever growing) flushed rows, for frequent callers such as /metrics."""
        counts_query = select(inbox.c.state, func.count()).group_by(inbox.c.state)
        if not count_flushed:
            counts_query = counts_query.where(inbox.c.state.in_(["pending", "dead"]))
        oldest_query = select(func.min(inbox.c.received_at)).where(inbox.c.state == "pending")
        with transaction(self.engine) as connection:
            counts = {state: count for state, count in connection.execute(counts_query).all()}
            oldest = connection.execute(oldest_query).scalar()
        return InboxStatus(
            pending=counts.get("pending", 0),
            flushed=counts.get("flushed", 0),
            dead=counts.get("dead", 0),
            oldest_pending_at=_aware(oldest) if oldest else None,
        )

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The oldest dead rows, with their last error."""
        query = select(inbox).where(inbox.c.state == "dead").order_by(inbox.c.id).limit(limit)
        with transaction(self.engine) as connection:
            rows = connection.execute(query).all()
        return [
            DeadLetter(r.id, r.tenant_id, r.platform, r.dedupe_key, r.attempts, r.last_error)
            for r in rows
        ]

    def prune_flushed(self, older_than_s: float, *, chunk: int = 10_000) -> int:
        """Delete the rows flushed more than `older_than_s` seconds ago; returns how many.

        Flushed rows stay a while only to recognise redeliveries. A redelivery after they are
        gone is stored and flushed again, and lands on its own stable lake row (nothing doubles).
        Deletes go `chunk` rows per transaction, so webhook writes never wait long for the lock.
        """
        before = _now() - dt.timedelta(seconds=older_than_s)
        deleted = 0
        while True:
            oldest = (
                select(inbox.c.id)
                .where(inbox.c.state == "flushed", inbox.c.flushed_at < before)
                .limit(chunk)
            )
            with transaction(self.engine) as connection:
                done = connection.execute(delete(inbox).where(inbox.c.id.in_(oldest)))
            deleted += int(done.rowcount)
            if done.rowcount < chunk:
                return deleted

    def replay(self, ids: Sequence[int] | None = None) -> int:
        """Make dead rows (all, or those in `ids`) pending again with fresh attempts."""
        query = update(inbox).where(inbox.c.state == "dead")
        if ids is not None:
            query = query.where(inbox.c.id.in_(list(ids)))
        with transaction(self.engine) as connection:
            done = connection.execute(
                query.values(state="pending", attempts=0, next_attempt_at=_now())
            )
        return int(done.rowcount)


def _inbox_row(row: Any) -> InboxRow:
    occurred = row["occurred_at"]
    event = InboundEvent(
        dedupe_key=row["dedupe_key"],
        topic=row["topic"],
        occurred_at=_aware(occurred) if occurred else None,
        body=bytes(row["body"]),
        headers=dict(row["headers"]),
    )
    return InboxRow(
        id=row["id"],
        tenant_id=row["tenant_id"],
        platform=row["platform"],
        source_id=row["source_id"],
        attempts=row["attempts"],
        received_at=_aware(row["received_at"]),
        event=event,
    )


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
