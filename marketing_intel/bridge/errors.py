"""Errors of the bridge. Every message is a sentence the operator or the caller can act on."""

from __future__ import annotations

from marketing_intel.errors import MarketingIntelError


class BridgeError(MarketingIntelError):
    """Base of every error the bridge's core raises."""


class BridgeUnavailable(BridgeError):
    """The bridge database could not be reached or refused a write: the caller should retry.

    The HTTP adapter answers 503 with Retry-After, never a 4xx: a platform that gets a 4xx gives up
    and the event is lost.
    """


class UnknownSource(BridgeError):
    """No enabled source has this id (or it belongs to another platform)."""


class BadApiKey(BridgeError):
    """The API key is missing, unknown, disabled or lacks the permission asked for."""
