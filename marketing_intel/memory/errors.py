"""Errors of the memory layer. Every message is a sentence the user can act on."""

from __future__ import annotations

from marketing_intel.errors import MarketingIntelError


class MemoryStoreError(MarketingIntelError):
    """Base of every error the memory stores raise; `str(error)` is meant for the user."""


class MemoryConfigError(MemoryStoreError):
    """The selected memory store is not configured well enough to start."""


class ZeroDBError(MemoryStoreError):
    """ZeroDB refused a request or could not be reached; the message names the endpoint and the
    status (never the API key)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
