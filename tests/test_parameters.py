"""Typed query parameters: the types BigQuery knows, parsed from text and Python values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from marketing_intel.lake.parameters import QueryParameter, parse


@pytest.mark.parametrize(
    ("text", "type_", "value"),
    [
        ("days=7", "INT64", 7),
        ("zip=02134", "STRING", "02134"),
        ("ratio=0.25", "FLOAT64", 0.25),
        ("active=true", "BOOL", True),
        ("start=2026-01-31", "DATE", dt.date(2026, 1, 31)),
        ("at=2026-01-31T10:00:00", "TIMESTAMP", dt.datetime(2026, 1, 31, 10, tzinfo=dt.UTC)),
        ("name=summer sale", "STRING", "summer sale"),
        ("budget:NUMERIC=10.123456789", "NUMERIC", Decimal("10.123456789")),
        ("id:STRING=123", "STRING", "123"),
        ("ids:ARRAY<STRING>=a, b,c", "ARRAY<STRING>", ["a", "b", "c"]),
        ("days:array<int64>=[1, 2]", "ARRAY<INT64>", [1, 2]),
    ],
)
def test_parse_types_text(text: str, type_: str, value: object) -> None:
    parameter = parse(text)
    assert (parameter.type, parameter.value) == (type_, value)


def test_python_values_are_typed_by_their_class() -> None:
    assert QueryParameter.of("a", True).type == "BOOL"
    assert QueryParameter.of("a", 3).type == "INT64"
    assert QueryParameter.of("a", Decimal("1.5")).type == "NUMERIC"
    assert QueryParameter.of("a", dt.date(2026, 1, 1)).type == "DATE"
    assert QueryParameter.of("a", ["x"]).type == "ARRAY<STRING>"
    assert QueryParameter.of("a", "2026-01-01").type == "STRING"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("n:INT64=1.5", "expected a whole number"),
        ("n:NUMERIC=0.1234567891", "at most 9 digits after the point"),
        ("d:DATE=yesterday", "@d (DATE)"),
        ("b:BOOL=maybe", "expected true or false"),
        ("x:MONEY=1", "unknown type MONEY"),
        ("1bad=1", "name"),
    ],
)
def test_bad_values_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


def test_missing_equals_sign_is_explained() -> None:
    with pytest.raises(ValueError, match="write name=value"):
        parse("days")
