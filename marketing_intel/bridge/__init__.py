"""The bridge's core: webhook sources, the durable inbox, group commit, the flusher, API keys.

No HTTP here: `bridge_api` is the FastAPI adapter over `open_bridge(settings)`.
"""

from __future__ import annotations

from marketing_intel.bridge.errors import BadApiKey, BridgeError, BridgeUnavailable, UnknownSource
from marketing_intel.bridge.service import Bridge, accept_webhook, open_bridge

__all__ = [
    "BadApiKey",
    "Bridge",
    "BridgeError",
    "BridgeUnavailable",
    "UnknownSource",
    "accept_webhook",
    "open_bridge",
]
