"""Tenant ids: one pattern, checked wherever a tenant id enters (API keys, sources, the CLI, the
bridge, the nodes, jobs, the lake, memory, brand voice, the cache).

A tenant id becomes part of store keys, vector namespaces (ZeroDB, Pinecone), cache keys, job ids
(`<tenant>.<key>`; BullMQ refuses ':') and result keys (`flow-run:<tenant>:...`), so its alphabet
is the one all of them take: 1-100 letters, digits, '_', '.' or '-', starting with a letter or
digit. No '/', no whitespace, nothing a path or a key separator could be made of.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator

from marketing_intel.errors import MarketingIntelError

TENANT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
TENANT_ID_RULE = "use 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit"
_TENANT_ID = re.compile(TENANT_ID_PATTERN)
_SHOWN = 60  # characters of a bad id quoted back: enough to recognise it, never a wall of text


class InvalidTenantId(MarketingIntelError, ValueError):
    """A tenant id that does not follow the pattern (a ValueError too, so pydantic validators
    and the CLI report it as one sentence)."""


def is_tenant_id(value: Any) -> bool:
    """Whether `value` is a well-formed tenant id."""
    return isinstance(value, str) and _TENANT_ID.match(value) is not None


def check_tenant_id(value: Any) -> str:
    """`value` when it is a well-formed tenant id; else `InvalidTenantId` saying what to use."""
    if is_tenant_id(value):
        return str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidTenantId(f"A tenant id is required; {TENANT_ID_RULE}.")
    shown = repr(value) if len(repr(value)) <= _SHOWN else repr(value)[:_SHOWN] + "..."
    raise InvalidTenantId(f"The tenant id {shown} is not valid; {TENANT_ID_RULE}.")


TenantId = Annotated[str, AfterValidator(check_tenant_id)]
"""A pydantic field type: a tenant id, checked."""
