"""`CacheKey`: what a cached insight depends on, hashed into one stable id."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marketing_intel.tenants import check_tenant_id


@dataclass(frozen=True)
class CacheKey:
    """A cache entry's address: the tenant and template in the clear (for invalidation and row
    security), everything else (parameters, data watermark) in `digest`.

    Build it with `CacheKey.of(...)`: equal inputs give the same digest in any process, and new
    data in the lake (a later watermark) gives a new one, so stale reports are never found.
    """

    tenant_id: str
    template: str
    digest: str

    @classmethod
    def of(
        cls,
        tenant_id: str,
        template: str,
        parameters: Mapping[str, Any] | None = None,
        watermark: str | dt.datetime | None = None,
    ) -> CacheKey:
        """The key of `template` run for `tenant_id` with `parameters` on data up to `watermark`."""
        check_tenant_id(tenant_id)
        if not template:
            raise ValueError("a cache key needs a template name")
        address = {
            "tenant_id": tenant_id,
            "template": template,
            "parameters": dict(parameters or {}),
            "watermark": watermark.isoformat() if isinstance(watermark, dt.datetime) else watermark,
        }
        return cls(tenant_id, template, hashlib.sha256(canonical_json(address)).hexdigest())


def canonical_json(value: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, dates as ISO text.

    Anything else that JSON cannot hold is refused, so two different parameters never share a key
    by both turning into the same `str()`.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_iso_date
    ).encode()


def _iso_date(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"a cache key parameter must be JSON (or a date), not {type(value).__name__}")
