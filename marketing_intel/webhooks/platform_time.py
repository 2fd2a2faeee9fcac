"""Times as platforms write them: Unix seconds or milliseconds (numbers or digit strings), or ISO
8601 text with or without a zone (no zone means UTC, as BigQuery reads it)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

_DIGITS = re.compile(r"[0-9]{1,16}")
# Past this many "seconds" the number is in milliseconds (year 5138 in seconds).
_MILLISECONDS_FROM = 100_000_000_000


def to_datetime(value: Any) -> dt.datetime | None:
    """`value` as an aware UTC datetime; None when it is not a time."""
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value)
    try:
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            seconds = float(value)
            if seconds > _MILLISECONDS_FROM:
                seconds /= 1000
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        if isinstance(value, str):
            stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def is_unix_seconds(text: str) -> bool:
    """Whether `text` is a plain run of ASCII digits (a Unix time)."""
    return _DIGITS.fullmatch(text) is not None
