"""Named, typed query parameters, the same for BigQuery and the embedded lake.

A parameter is written `@name` in the SQL and given as a `QueryParameter` with a BigQuery type:
STRING, INT64, FLOAT64, NUMERIC, BOOL, DATE, TIMESTAMP or ARRAY<one of those>. People type
parameters as text (`days=7`, `start:DATE=2026-01-01`, `ids:ARRAY<STRING>=a,b`); `parse` reads
that form, and `QueryParameter.of` builds one from a Python value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCALAR_TYPES = ("STRING", "INT64", "FLOAT64", "NUMERIC", "BOOL", "DATE", "TIMESTAMP")
_ARRAY = re.compile(r"^ARRAY<\s*(\w+)\s*>$")
_INT = re.compile(r"^-?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^-?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}")
# NUMERIC holds 38 digits, 9 of them after the point.
_NUMERIC_LIMIT = Decimal("1e29")


def _to_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("expected a whole number")
    if isinstance(value, str) and not _INT.match(value.strip()):
        raise ValueError("expected a whole number")
    return int(value)


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number")
    return float(value)


def _to_numeric(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("expected a decimal number") from None
    if not number.is_finite() or abs(number) >= _NUMERIC_LIMIT:
        raise ValueError("NUMERIC holds at most 29 digits before the point")
    with localcontext() as context:
        context.prec = 50  # room for 38 digits; the default 28 would fail to quantize
        if number != number.quantize(Decimal("1e-9")):
            raise ValueError("NUMERIC holds at most 9 digits after the point")
    return number


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError("expected true or false")


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date without a time")
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _to_timestamp(value: Any) -> dt.datetime:
    stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    # BigQuery reads a timestamp without a zone as UTC; so do we.
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _to_string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value


_COERCE: dict[str, Callable[[Any], Any]] = {
    "STRING": _to_string,
    "INT64": _to_int,
    "FLOAT64": _to_float,
    "NUMERIC": _to_numeric,
    "BOOL": _to_bool,
    "DATE": _to_date,
    "TIMESTAMP": _to_timestamp,
}


def coerce_scalar(type_: str, value: Any) -> Any:
    """Convert `value` to the Python value of BigQuery type `type_`; ValueError says why not."""
    return _COERCE[type_](value)


class QueryParameter(BaseModel):
    """One named, typed query parameter (`@name` in the SQL)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    type: str
    value: Any

    @field_validator("type")
    @classmethod
    def _known_type(cls, type_: str) -> str:
        type_ = re.sub(r"\s+", "", type_.upper())
        match = _ARRAY.match(type_)
        element = match.group(1) if match else type_
        if element not in SCALAR_TYPES:
            raise ValueError(
                f"unknown type {type_}; use one of {', '.join(SCALAR_TYPES)} or ARRAY<type>"
            )
        return f"ARRAY<{element}>" if match else element

    @model_validator(mode="after")
    def _coerce_value(self) -> QueryParameter:
        try:
            if self.value is None:
                coerced: Any = None
            elif self.element_type != self.type:
                coerced = [coerce_scalar(self.element_type, item) for item in _as_list(self.value)]
            else:
                coerced = coerce_scalar(self.type, self.value)
        except ValueError as error:
            raise ValueError(f"@{self.name} ({self.type}): {error}") from None
        object.__setattr__(self, "value", coerced)
        return self

    @property
    def element_type(self) -> str:
        """The scalar type: the type itself, or the element type of an ARRAY."""
        match = _ARRAY.match(self.type)
        return match.group(1) if match else self.type

    @classmethod
    def of(cls, name: str, value: Any, type_: str | None = None) -> QueryParameter:
        """A parameter from a Python value, typed from the value when `type_` is not given."""
        return cls(name=name, type=type_ or _python_type(value), value=value)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    text = str(value).strip()
    if text.startswith("["):
        loaded = json.loads(text)
        if isinstance(loaded, list):
            return loaded
    return [item.strip() for item in text.split(",") if item.strip()]


def _python_type(value: Any) -> str:
    if isinstance(value, list | tuple):
        if not value:
            raise ValueError("the type of an empty list cannot be guessed; give ARRAY<type>")
        return f"ARRAY<{_python_type(value[0])}>"
    for python_type, type_ in (
        (bool, "BOOL"),
        (int, "INT64"),
        (float, "FLOAT64"),
        (Decimal, "NUMERIC"),
        (dt.datetime, "TIMESTAMP"),
        (dt.date, "DATE"),
        (str, "STRING"),
    ):
        if isinstance(value, python_type):
            return type_
    raise ValueError(f"no BigQuery type for a Python {type(value).__name__}")


def infer_text_type(text: str) -> str:
    """The type a bare `name=value` gets: numbers, true/false, dates and timestamps by look."""
    text = text.strip()
    for pattern, type_ in (
        (_INT, "INT64"),
        (_FLOAT, "FLOAT64"),
        (_DATE, "DATE"),
        (_TIMESTAMP, "TIMESTAMP"),
    ):
        if pattern.match(text):
            return type_
    return "BOOL" if text.lower() in ("true", "false") else "STRING"


def parse(text: str) -> QueryParameter:
    """Parse `name=value` or `name:TYPE=value` as typed on a command line or in a node."""
    name_part, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"parameter {text!r} has no '='; write name=value or name:TYPE=value")
    return from_mapping_item(name_part, value)


def from_mapping_item(key: str, value: Any) -> QueryParameter:
    """A parameter from a `{"name[:TYPE]": value}` item, as a node's dictionary field gives."""
    name, _, type_ = key.strip().partition(":")
    if not type_ and isinstance(value, str):
        type_ = infer_text_type(value)
    return QueryParameter.of(name, value, type_ or None)
