"""JSON read and written without floats, so 16-digit ids and money amounts stay exact.

Python reads JSON integers as exact `int`s; fractions are read as `Decimal` (never float) and
written back with the same digits. NaN and Infinity are refused: they are not JSON.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from marketing_intel.webhooks.rejections import WebhookRejected

# Deeper documents are refused: no platform nests this deep, and the walks over a document
# (redaction, writing) are recursive.
MAX_DEPTH = 64


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_object(body: bytes | str, what: str = "The request body") -> dict[str, Any]:
    """The JSON object in `body`; `malformed_body` when it is not one JSON object."""
    try:
        document = json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError too
        raise WebhookRejected(
            "malformed_body", f"{what} is not valid JSON ({error}); send a JSON object."
        ) from None
    if not isinstance(document, dict):
        raise WebhookRejected("malformed_body", f"{what} must be a JSON object.")
    if _depth(document) > MAX_DEPTH:
        raise WebhookRejected("malformed_body", f"{what} nests deeper than {MAX_DEPTH} levels.")
    return document


def _depth(document: Any) -> int:
    deepest = 0
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in value if isinstance(item, dict | list))
    return deepest


def dumps(value: Any) -> str:
    """Compact JSON text of `value`; Decimals keep their digits, dict keys keep their order."""
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
