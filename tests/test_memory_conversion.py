"""What the Memory Store node remembers from JSON and table rows (memory.conversion)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from marketing_intel.memory.conversion import (
    RecordDefaults,
    records_from_mapping,
    records_from_rows,
    records_from_text,
)

DEFAULTS = RecordDefaults(tenant="acme", kind="fact", tags=("q4",), ttl=dt.timedelta(days=2))


def test_json_with_text_keeps_the_other_fields_as_metadata() -> None:
    (record,) = records_from_mapping(
        {"text": "CPA target is 20 EUR", "source": "plan", "tags": ["cpa"]}, DEFAULTS
    )
    assert record.content == "CPA target is 20 EUR"
    assert record.metadata == {"source": "plan", "tags": ["cpa"]}
    assert record.tags == ("q4", "cpa")
    assert record.expires_at is not None
    assert (
        dt.timedelta(days=1, hours=23)
        < record.expires_at - record.created_at
        <= dt.timedelta(days=2)
    )


def test_json_without_text_is_remembered_as_json() -> None:
    (record,) = records_from_mapping({"budget": 1000, "channel": "email"}, DEFAULTS)
    assert record.content == '{"budget": 1000, "channel": "email"}'


def test_table_cells_become_json_values() -> None:
    (record,) = records_from_rows(
        [
            {
                "content": "weekly spend",
                "spend": np.float64("nan"),
                "clicks": np.int64(7),
                "day": dt.date(2026, 11, 2),
            }
        ],
        DEFAULTS,
    )
    assert record.metadata == {"spend": None, "clicks": 7, "day": "2026-11-02"}


def test_text_is_one_memory_unless_it_is_a_report() -> None:
    (note,) = records_from_text("Launch moved to May", DEFAULTS, {"sender": "User"})
    assert (note.content, note.metadata) == ("Launch moved to May", {"sender": "User"})
    # JSON that is not a report, even with an insights key, stays one memory as written.
    text = '```json\n{"insights": "none yet"}\n```'
    (other,) = records_from_text(text, DEFAULTS)
    assert other.content == text
