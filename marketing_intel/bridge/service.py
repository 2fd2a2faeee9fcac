"""The bridge's core, assembled from settings: sources, API keys, the inbox and the flusher.

The HTTP adapter (`bridge_api`) and the `mi` commands both start from `open_bridge(settings)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import text
from sqlalchemy.engine import Engine

from marketing_intel.bridge.api_keys import ApiKeyStore
from marketing_intel.bridge.database import bridge_engine, transaction
from marketing_intel.bridge.flusher import Flusher, FlushPolicy
from marketing_intel.bridge.inbox import Inbox, InboxEntry
from marketing_intel.bridge.secret_box import secret_box
from marketing_intel.bridge.sources import ResolvedSource, SourceRegistry
from marketing_intel.config import Settings
from marketing_intel.lake import Lake, open_lake
from marketing_intel.webhooks import split_events, verify


@dataclass
class Bridge:
    """Everything the bridge serves from, over one database engine."""

    settings: Settings
    engine: Engine
    sources: SourceRegistry
    api_keys: ApiKeyStore
    inbox: Inbox

    @cached_property
    def lake(self) -> Lake:
        """The configured lake, opened on first use; its tables are created if missing."""
        lake = open_lake(self.settings, component="mi-bridge")
        lake.apply_schema()
        return lake

    def flusher(self) -> Flusher:
        """A flusher over this bridge's inbox and lake."""
        policy = FlushPolicy.from_settings(self.settings)
        return Flusher(self.inbox, self.lake, self.sources, policy)

    def check_database(self) -> None:
        """Raise `BridgeUnavailable` when the database does not answer."""
        with transaction(self.engine) as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def accept_webhook(
    source: ResolvedSource,
    headers: Mapping[str, str],
    body: bytes,
    *,
    received_at: dt.datetime | None = None,
) -> list[InboxEntry]:
    """Verify a webhook of `source` and split it into inbox entries (one per event).

    Raises `WebhookRejected` (with its reason and HTTP status) when it does not verify.
    """
    platform = source.source.platform
    verify(platform, headers, body, source.secrets)
    arrival = received_at or dt.datetime.now(dt.UTC)
    return [
        InboxEntry(
            tenant_id=source.source.tenant_id,
            platform=platform,
            source_id=source.source.source_id,
            event=event,
            received_at=arrival,
        )
        for event in split_events(platform, headers, body)
    ]


def open_bridge(settings: Settings) -> Bridge:
    """The bridge the settings describe (creates its database tables if missing)."""
    engine = bridge_engine(settings)
    sources = SourceRegistry(
        engine,
        secret_box(settings),
        grace_s=settings.bridge.rotation_grace_s,
        cache_s=settings.bridge.source_cache_s,
    )
    return Bridge(settings, engine, sources, ApiKeyStore(engine), Inbox(engine))
