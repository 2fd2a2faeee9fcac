"""API-key authentication of the bridge's backend routes: `bearer` and the key's tenant."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bridge_api.errors import ApiError
from marketing_intel.bridge import Bridge
from marketing_intel.bridge.api_keys import ApiKey
from marketing_intel.tenants import is_tenant_id

bearer = HTTPBearer(auto_error=False, description="An API key from `mi api-keys add`.")


async def api_key(bridge: Bridge, credentials: HTTPAuthorizationCredentials | None) -> ApiKey:
    """The enabled key the request sends (a `BadApiKey`, answered 401, if none)."""
    return await asyncio.to_thread(
        bridge.api_keys.check, credentials.credentials if credentials else None
    )


async def key_tenant(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The tenant of the request's API key; an operator key (no tenant) is refused with 403."""
    key = await api_key(request.app.state.bridge, credentials)
    if key.tenant_id is None:
        raise ApiError(403, "tenant_key_required", "This needs a tenant's API key.")
    if not is_tenant_id(key.tenant_id):  # a key issued before tenant ids were checked
        raise ApiError(
            403, "invalid_key_tenant", "This API key's tenant id is not valid; issue a new key."
        )
    return key.tenant_id


TenantId = Annotated[str, Depends(key_tenant)]
