"""Metadata filters: Pinecone's filter language, evaluated in SQL and in Python alike.

`{"brand": "acme", "channel": {"$in": ["email", "sms"]}, "approved_at": {"$gte": 1.7e9}}`:
keys are ANDed; `$and`/`$or` take lists of filters; operators are `$eq $ne $gt $gte $lt $lte $in
$nin $exists`. A list-valued field (e.g. tags) matches `$eq`/`$in` when any element does, and
`$ne`/`$nin` when none does (Pinecone's semantics). Range operators compare numbers only. The
same parsed `Filter` produces the SQL of the sqlite-vec index and the predicate of the numpy
reference, so both indexes answer the same question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marketing_intel.vectors.errors import InvalidFilter
from marketing_intel.vectors.records import FIELD_NAME

Scalar = str | int | float | bool
_RANGE = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_OPERATORS = {"$eq", "$ne", "$in", "$nin", "$exists", *_RANGE}


@dataclass(frozen=True)
class Condition:
    """One `field op value` test."""

    field: str
    operator: str
    value: Any

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        """Whether `metadata` passes this test."""
        if self.operator == "$exists":
            return (self.field in metadata) is bool(self.value)
        present = metadata.get(self.field)
        values = present if isinstance(present, list) else [] if present is None else [present]
        if self.operator == "$eq":
            return any(_equal(value, self.value) for value in values)
        if self.operator == "$ne":
            return not any(_equal(value, self.value) for value in values)
        if self.operator == "$in":
            return any(_equal(value, item) for value in values for item in self.value)
        if self.operator == "$nin":
            return not any(_equal(value, item) for value in values for item in self.value)
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        compare = {
            "$gt": lambda a, b: a > b,
            "$gte": lambda a, b: a >= b,
            "$lt": lambda a, b: a < b,
            "$lte": lambda a, b: a <= b,
        }[self.operator]
        return any(compare(number, self.value) for number in numbers)

    def sql(self, column: str) -> tuple[str, list[Any]]:
        """A SQL predicate over the JSON metadata `column`, and its parameters."""
        path = f'$."{self.field}"'
        elements = f"SELECT 1 FROM json_each({column}, ?) AS element WHERE"
        if self.operator == "$exists":
            test = "IS NOT NULL" if self.value else "IS NULL"
            return f"json_type({column}, ?) {test}", [path]
        if self.operator in ("$eq", "$ne"):
            negate = "NOT " if self.operator == "$ne" else ""
            return f"{negate}EXISTS ({elements} element.value = ?)", [path, self.value]
        if self.operator in ("$in", "$nin"):
            negate = "NOT " if self.operator == "$nin" else ""
            if not self.value:
                return ("1" if negate else "0"), []
            marks = ", ".join("?" * len(self.value))
            return f"{negate}EXISTS ({elements} element.value IN ({marks}))", [path, *self.value]
        numeric = "element.type IN ('integer', 'real')"
        comparison = f"element.value {_RANGE[self.operator]} ?"
        return f"EXISTS ({elements} {numeric} AND {comparison})", [path, self.value]


@dataclass(frozen=True)
class Filter:
    """All of `conditions` and `groups` hold; a group holds when any (`$or`) or all of its
    filters hold. An empty filter matches everything."""

    conditions: tuple[Condition, ...] = ()
    groups: tuple[tuple[str, tuple[Filter, ...]], ...] = ()

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        """Whether `metadata` passes the filter."""
        if not all(condition.matches(metadata) for condition in self.conditions):
            return False
        for kind, filters in self.groups:
            results = (item.matches(metadata) for item in filters)
            if not (any(results) if kind == "$or" else all(results)):
                return False
        return True

    def sql(self, column: str) -> tuple[str, list[Any]]:
        """A SQL predicate over the JSON metadata `column` ("1" when empty), and its parameters."""
        parts: list[str] = []
        params: list[Any] = []
        for condition in self.conditions:
            text, values = condition.sql(column)
            parts.append(text)
            params.extend(values)
        for kind, filters in self.groups:
            texts = []
            for item in filters:
                text, values = item.sql(column)
                texts.append(f"({text})")
                params.extend(values)
            joiner = " OR " if kind == "$or" else " AND "
            parts.append("(" + (joiner.join(texts) or ("0" if kind == "$or" else "1")) + ")")
        return (" AND ".join(parts) or "1"), params


def parse_filter(spec: Mapping[str, Any] | Filter | None) -> Filter:
    """Parse a Pinecone-style filter dict; raise `InvalidFilter` saying what is wrong."""
    if spec is None:
        return Filter()
    if isinstance(spec, Filter):
        return spec
    if not isinstance(spec, Mapping):
        raise InvalidFilter(f"A filter must be a JSON object, not {type(spec).__name__}.")
    conditions: list[Condition] = []
    groups: list[tuple[str, tuple[Filter, ...]]] = []
    for key, value in spec.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list):
                raise InvalidFilter(f"{key} takes a list of filters.")
            groups.append((key, tuple(parse_filter(item) for item in value)))
        elif not FIELD_NAME.match(key):
            raise InvalidFilter(f"{key!r} is neither a field name nor $and/$or.")
        elif isinstance(value, Mapping):
            conditions.extend(_condition(key, operator, item) for operator, item in value.items())
        else:
            conditions.append(_condition(key, "$eq", value))
    return Filter(tuple(conditions), tuple(groups))


def _condition(field: str, operator: str, value: Any) -> Condition:
    if operator not in _OPERATORS:
        known = ", ".join(sorted(_OPERATORS))
        raise InvalidFilter(
            f"Unknown filter operator {operator!r} on {field!r}; use one of {known}."
        )
    if operator == "$exists":
        if not isinstance(value, bool):
            raise InvalidFilter(f"$exists on {field!r} takes true or false.")
    elif operator in _RANGE:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidFilter(f"{operator} on {field!r} compares numbers; got {value!r}.")
    elif operator in ("$in", "$nin"):
        if not isinstance(value, list) or not all(isinstance(v, Scalar) for v in value):
            raise InvalidFilter(f"{operator} on {field!r} takes a list of strings or numbers.")
        value = tuple(value)
    elif not isinstance(value, Scalar):
        raise InvalidFilter(f"{operator} on {field!r} takes a string, number or boolean.")
    return Condition(field, operator, value)


def _equal(stored: Any, wanted: Any) -> bool:
    """SQLite's equality on JSON values: strings equal strings, numbers (and booleans as 0/1)
    equal numbers; a string never equals a number."""
    if isinstance(stored, str) or isinstance(wanted, str):
        return isinstance(stored, str) and isinstance(wanted, str) and stored == wanted
    return bool(stored == wanted)
