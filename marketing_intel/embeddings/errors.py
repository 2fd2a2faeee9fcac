"""Errors of the embedders."""

from __future__ import annotations

from marketing_intel.errors import MarketingIntelError


class EmbeddingsError(MarketingIntelError):
    """An embedder could not be loaded or could not embed; the message says what to fix."""
