"""API keys for the backend's calls (batch ingest) and for operators (admin endpoints).

A key reads `mi_<key id>_<secret>`. Only the SHA-256 of the secret is stored (the secret has 256
random bits, so a plain hash is enough; no password hashing is needed) and it is compared in
constant time. A key belongs to one tenant, or to no tenant: an operator key for admin endpoints.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from marketing_intel.bridge.database import api_keys, transaction
from marketing_intel.bridge.errors import BadApiKey, BridgeError
from marketing_intel.tenants import check_tenant_id

_PREFIX = "mi_"


@dataclass(frozen=True)
class ApiKey:
    """A stored key (without its secret)."""

    key_id: str
    tenant_id: str | None
    label: str | None
    enabled: bool

    @property
    def is_admin(self) -> bool:
        """An operator key (no tenant)."""
        return self.tenant_id is None


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class ApiKeyStore:
    """Creates, lists, disables and checks API keys."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, tenant_id: str | None, *, label: str | None = None) -> tuple[ApiKey, str]:
        """A new key for `tenant_id` (None: an admin key) and its full text, shown once."""
        if tenant_id is not None and not tenant_id.strip():
            raise BridgeError(
                "The tenant id is empty; pass --tenant, or --admin for an operator key."
            )
        if tenant_id is not None:
            check_tenant_id(tenant_id)
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with transaction(self._engine) as connection:
            connection.execute(
                insert(api_keys).values(
                    key_id=key_id,
                    tenant_id=tenant_id,
                    secret_sha256=_digest(secret),
                    label=label,
                    enabled=True,
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
        return ApiKey(key_id, tenant_id, label, True), f"{_PREFIX}{key_id}_{secret}"

    def all_keys(self) -> list[ApiKey]:
        """Every key, without secrets."""
        with transaction(self._engine) as connection:
            rows = connection.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
        return [ApiKey(r.key_id, r.tenant_id, r.label, bool(r.enabled)) for r in rows]

    def disable(self, key_id: str) -> None:
        """Refuse the key from now on."""
        with transaction(self._engine) as connection:
            done = connection.execute(
                update(api_keys).where(api_keys.c.key_id == key_id).values(enabled=False)
            )
        if done.rowcount == 0:
            raise BridgeError(f"No API key {key_id!r}; `mi api-keys list` shows them.")

    def check(self, text: str | None) -> ApiKey:
        """The enabled key `text` stands for, or `BadApiKey`."""
        key_id, secret = _parts(text)
        with transaction(self._engine) as connection:
            row = connection.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
        # Compare even when the id is unknown, so timing does not tell which ids exist.
        stored = row.secret_sha256 if row is not None else b"\0" * 32
        if not hmac.compare_digest(stored, _digest(secret)) or row is None or not row.enabled:
            raise BadApiKey(
                "The API key is unknown or disabled; create one with `mi api-keys add`."
            )
        return ApiKey(row.key_id, row.tenant_id, row.label, True)


def _parts(text: str | None) -> tuple[str, str]:
    if not text or not text.startswith(_PREFIX) or text.count("_") < 2:
        raise BadApiKey(
            "Send the API key as `Authorization: Bearer mi_...`; create one with `mi api-keys add`."
        )
    key_id, _, secret = text.removeprefix(_PREFIX).partition("_")
    return key_id, secret
