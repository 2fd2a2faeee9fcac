"""Numpy arrays to Arrow columns of the lake's types, without per-row Python objects."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from marketing_intel.lake.arrow_schema import ARROW_TYPES

NUMERIC = ARROW_TYPES["NUMERIC"]
TIMESTAMP = ARROW_TYPES["TIMESTAMP"]
DATE = ARROW_TYPES["DATE"]

# NUMERIC has scale 9: one cent is 10**7 units of the decimal's unscaled integer.
_UNITS_PER_CENT = 10**7


def cents_to_numeric(cents: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Integer cents as NUMERIC (decimal128(38, 9)); `null` marks rows to leave NULL.

    Writes the 128-bit two's-complement words directly: exact, and ~100x faster than Decimals.
    """
    units = np.asarray(cents, dtype=np.int64) * _UNITS_PER_CENT
    words = np.empty((len(units), 2), dtype="<i8")
    words[:, 0] = units
    words[:, 1] = np.where(units < 0, -1, 0)
    validity = None
    null_count = 0
    if null is not None and null.any():
        validity = pa.array(~null).buffers()[1]
        null_count = int(null.sum())
    return pa.Array.from_buffers(
        NUMERIC, len(units), [validity, pa.py_buffer(words)], null_count=null_count
    )


def micros_to_timestamp(micros: np.ndarray) -> pa.Array:
    """Microseconds since the epoch as TIMESTAMP (UTC)."""
    return pa.array(np.asarray(micros, dtype=np.int64), type=TIMESTAMP)


def days_to_date(epoch_days: np.ndarray) -> pa.Array:
    """Days since the epoch as DATE."""
    return pa.array(np.asarray(epoch_days, dtype=np.int32), type=DATE)


def take(values: pa.Array, indices: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """`values[indices]`, NULL where `null` is true: repeats a few distinct strings cheaply."""
    index = pa.array(np.asarray(indices, dtype=np.int64), mask=null)
    return values.take(index)


def constant(value: str, length: int) -> pa.Array:
    """A string column holding `value` in every row."""
    return take(pa.array([value]), np.zeros(length, dtype=np.int64))


def prefixed_numbers(prefixes: pa.Array, which: np.ndarray, numbers: np.ndarray) -> pa.Array:
    """Strings ``prefixes[which] + str(numbers)``, built in Arrow (ids for ~1M rows in ms)."""
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(take(prefixes, which), digits, "")


def sha256_hex(texts: list[str]) -> list[str]:
    """SHA-256 hex digest of each text's UTF-8 bytes."""
    return [hashlib.sha256(text.encode()).hexdigest() for text in texts]
