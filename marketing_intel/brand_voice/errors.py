"""Errors of the brand-voice layer."""

from __future__ import annotations

from marketing_intel.errors import MarketingIntelError


class BrandVoiceError(MarketingIntelError):
    """Base of every brand-voice error; `str(error)` is meant for the user."""


class BrandVoiceConfigError(BrandVoiceError):
    """The chosen brand-voice backend is not configured well enough to start."""


class BrandVoiceBackendError(BrandVoiceError):
    """The backend (Pinecone) refused or failed a request; the message says what to check."""


class EmbedderMismatchError(BrandVoiceError):
    """The index holds vectors of another embedder or dimension than the one given."""
