"""Errors of the local vector indexes."""

from __future__ import annotations

from marketing_intel.errors import MarketingIntelError


class VectorIndexError(MarketingIntelError):
    """Base of every error of the vector indexes; `str(error)` is meant for the user."""


class EmbedderMismatch(VectorIndexError):
    """The index holds vectors of another embedder or dimension than the one given."""


class InvalidFilter(VectorIndexError):
    """A metadata filter is malformed (unknown operator, bad field name, wrong value type)."""


class InvalidRecord(VectorIndexError):
    """A record cannot be stored (empty id, wrong vector length, unsupported metadata value)."""
