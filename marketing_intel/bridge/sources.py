"""Webhook sources: an opaque random id per (tenant, platform) with its secrets, and tenant salts.

A platform posts to `/v1/webhooks/{platform}/{source_id}`; the id says nothing about the tenant and
cannot be guessed (128 random bits). Secrets, Meta verify tokens and the per-tenant PII salt are
stored encrypted (`SecretBox`). Rotating a secret keeps the previous one valid for a grace period
(`MI_BRIDGE_ROTATION_GRACE_S`), because platforms such as Shopify sign with either during a switch.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from marketing_intel.bridge.database import insert_new_only, sources, tenant_salts, transaction
from marketing_intel.bridge.errors import BridgeError, UnknownSource
from marketing_intel.bridge.secret_box import SecretBox
from marketing_intel.tenants import check_tenant_id
from marketing_intel.webhooks import SourceSecrets, platform_names, webhook_platform


@dataclass(frozen=True)
class Source:
    """A registered webhook source (no secrets)."""

    source_id: str
    tenant_id: str
    platform: str
    enabled: bool
    created_at: dt.datetime
    rotated_at: dt.datetime | None

    @property
    def webhook_path(self) -> str:
        """The path the platform posts to."""
        return f"/v1/webhooks/{self.platform}/{self.source_id}"


@dataclass(frozen=True)
class ResolvedSource:
    """A source with what verifying and normalizing its webhooks needs."""

    source: Source
    secrets: SourceSecrets
    salt: bytes


@dataclass(frozen=True)
class NewSecret:
    """What `add` and `rotate` hand back once: the secret (when generated) and verify token."""

    source: Source
    secret: str | None
    verify_token: str | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def generated_secret(platform: str) -> str:
    """A new random signing secret in the form the platform's scheme expects."""
    return webhook_platform(platform).new_secret()


class SourceRegistry:
    """Sources in the bridge database; `resolve` caches for `cache_s` seconds per process."""

    def __init__(
        self, engine: Engine, box: SecretBox, *, grace_s: int = 86_400, cache_s: float = 5.0
    ) -> None:
        self._engine = engine
        self._box = box
        self._grace = dt.timedelta(seconds=grace_s)
        self._cache_s = cache_s
        self._cache: dict[str, tuple[float, ResolvedSource]] = {}
        self._lock = threading.Lock()

    def add(
        self,
        platform: str,
        tenant_id: str,
        *,
        secret: str | None = None,
        verify_token: str | None = None,
    ) -> NewSecret:
        """Register a source; a secret (and a Meta verify token) is generated when not given."""
        known = platform_names()
        if platform not in known:
            raise BridgeError(f"Unknown platform {platform!r}; use one of {', '.join(known)}.")
        if not tenant_id.strip():
            raise BridgeError("The tenant id is empty; pass --tenant.")
        check_tenant_id(tenant_id)
        new_secret = None if secret else generated_secret(platform)
        handshake = webhook_platform(platform).handshake
        if handshake and not verify_token:
            verify_token = secrets.token_urlsafe(24)
        row = {
            "source_id": "src_" + secrets.token_hex(16),
            "tenant_id": tenant_id,
            "platform": platform,
            "secrets": self._seal_secrets([{"secret": secret or new_secret, "until": None}]),
            "verify_token": self._box.seal(verify_token.encode()) if verify_token else None,
            "enabled": True,
            "created_at": _now(),
        }
        with transaction(self._engine) as connection:
            connection.execute(insert(sources).values(row))
            self._ensure_salt(connection, tenant_id)
        source = _source(row)
        return NewSecret(source, new_secret, verify_token if handshake else None)

    def all_sources(self, tenant_id: str | None = None) -> list[Source]:
        """All sources (of one tenant when given), oldest first."""
        query = select(sources).order_by(sources.c.created_at)
        if tenant_id is not None:
            query = query.where(sources.c.tenant_id == tenant_id)
        with transaction(self._engine) as connection:
            return [_source(row._mapping) for row in connection.execute(query)]

    def rotate(self, source_id: str, *, secret: str | None = None) -> NewSecret:
        """Make `secret` (or a generated one) current; earlier ones stay valid for the grace."""
        with transaction(self._engine) as connection:
            row = connection.execute(
                select(sources).where(sources.c.source_id == source_id).with_for_update()
            ).first()
            if row is None:
                raise UnknownSource(f"No source {source_id!r}; `mi sources list` shows them.")
            until = (_now() + self._grace).isoformat()
            kept = [
                {**entry, "until": entry["until"] or until}
                for entry in self._live_entries(row.secrets)
            ]
            new_secret = None if secret else generated_secret(row.platform)
            entries = [{"secret": secret or new_secret, "until": None}, *kept]
            connection.execute(
                update(sources)
                .where(sources.c.source_id == source_id)
                .values(secrets=self._seal_secrets(entries), rotated_at=_now())
            )
        self._forget(source_id)
        return NewSecret(_source({**row._mapping, "rotated_at": _now()}), new_secret, None)

    def disable(self, source_id: str) -> None:
        """Stop accepting webhooks for the source (within `cache_s` on running servers)."""
        with transaction(self._engine) as connection:
            done = connection.execute(
                update(sources).where(sources.c.source_id == source_id).values(enabled=False)
            )
        if done.rowcount == 0:
            raise UnknownSource(f"No source {source_id!r}; `mi sources list` shows them.")
        self._forget(source_id)

    def resolve(self, platform: str, source_id: str) -> ResolvedSource:
        """The enabled source `source_id` of `platform`, or `UnknownSource`."""
        resolved = self.resolve_cached(platform, source_id)
        if resolved is None:
            resolved = self._load(source_id)
            with self._lock:
                self._cache[source_id] = (time.monotonic() + self._cache_s, resolved)
        return _checked(resolved, platform)

    def resolve_cached(self, platform: str, source_id: str) -> ResolvedSource | None:
        """Like `resolve`, from what this process read less than `cache_s` ago; None when it
        has to ask the database (so an event loop can do that in a thread)."""
        with self._lock:
            cached = self._cache.get(source_id)
        if cached and cached[0] > time.monotonic():
            return _checked(cached[1], platform)
        return None

    def tenant_salt(self, tenant_id: str) -> bytes:
        """The tenant's salt for hashing personal data (created on first use)."""
        with transaction(self._engine) as connection:
            return self._ensure_salt(connection, tenant_id)

    def reencrypt(self) -> int:
        """Re-encrypt every stored secret with the newest key; the number of rows changed."""
        changed = 0
        with transaction(self._engine) as connection:
            for row in connection.execute(select(sources)).all():
                token = row.verify_token
                connection.execute(
                    update(sources)
                    .where(sources.c.source_id == row.source_id)
                    .values(
                        secrets=self._box.reseal(row.secrets),
                        verify_token=self._box.reseal(token) if token else None,
                    )
                )
                changed += 1
            for salt_row in connection.execute(select(tenant_salts)).all():
                connection.execute(
                    update(tenant_salts)
                    .where(tenant_salts.c.tenant_id == salt_row.tenant_id)
                    .values(salt=self._box.reseal(salt_row.salt))
                )
                changed += 1
        return changed

    def _load(self, source_id: str) -> ResolvedSource:
        with transaction(self._engine) as connection:
            row = connection.execute(
                select(sources).where(sources.c.source_id == source_id)
            ).first()
            if row is None:
                raise UnknownSource(f"No source {source_id!r}.")
            salt = self._ensure_salt(connection, row.tenant_id)
        live = tuple(entry["secret"] for entry in self._live_entries(row.secrets))
        token = self._box.open(row.verify_token).decode() if row.verify_token else None
        return ResolvedSource(_source(row._mapping), SourceSecrets(live, token), salt)

    def _live_entries(self, sealed: bytes) -> list[dict[str, Any]]:
        """The stored secrets whose grace period has not ended, current first."""
        now = _now()
        entries: list[dict[str, Any]] = json.loads(self._box.open(sealed))
        return [
            e for e in entries if e["until"] is None or dt.datetime.fromisoformat(e["until"]) > now
        ]

    def _seal_secrets(self, entries: list[dict[str, Any]]) -> bytes:
        return self._box.seal(json.dumps(entries).encode())

    def _ensure_salt(self, connection: Any, tenant_id: str) -> bytes:
        query = select(tenant_salts.c.salt).where(tenant_salts.c.tenant_id == tenant_id)
        sealed = connection.execute(query).scalar()
        if sealed is None:
            sealed = self._box.seal(secrets.token_bytes(32))
            insert_new_only(connection, tenant_salts, [{"tenant_id": tenant_id, "salt": sealed}])
            sealed = connection.execute(query).scalar()
        return self._box.open(sealed)

    def _forget(self, source_id: str) -> None:
        with self._lock:
            self._cache.pop(source_id, None)


def _checked(resolved: ResolvedSource, platform: str) -> ResolvedSource:
    if not resolved.source.enabled or resolved.source.platform != platform:
        raise UnknownSource(f"No enabled {platform} source {resolved.source.source_id!r}.")
    return resolved


def _source(row: Any) -> Source:
    return Source(
        source_id=row["source_id"],
        tenant_id=row["tenant_id"],
        platform=row["platform"],
        enabled=bool(row["enabled"]),
        created_at=_aware(row["created_at"]),
        rotated_at=_aware(row["rotated_at"]) if row.get("rotated_at") else None,
    )


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
