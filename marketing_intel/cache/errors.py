"""Errors of the insight cache. Every message is a sentence the user can act on."""

from __future__ import annotations

from marketing_intel.errors import MarketingIntelError


class CacheError(MarketingIntelError):
    """Base of every error the insight cache raises; `str(error)` is meant for the user."""


class CacheUnavailable(CacheError):
    """The cache's database cannot be reached or failed; nothing was read or written."""


class CacheConfigError(CacheError):
    """The cache is not configured well enough to open (a bad URL, schema name or TTL)."""
