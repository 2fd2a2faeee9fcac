"""JSON read and written without floats, so 16-digit ids and money amounts stay exact.

Python reads JSON integers as exact `int`s; fractions are read as `Decimal` (never float) and
written back with the same digits. NaN and Infinity are refused: they are not JSON.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any

from marketing_intel.webhooks.rejections import WebhookRejected

# Deeper documents are refused: no platform nests this deep, and the walks over a document
# (redaction, writing) are recursive.
MAX_DEPTH = 64
_MARKER = secrets.token_hex(16)
_MARKED = re.compile(f'"{_MARKER}([^"]*){_MARKER}"')


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_refuse_constant)


def parse_object(body: bytes | str, what: str = "The request body") -> dict[str, Any]:
    """The JSON object in `body` (UTF-8, as JSON over HTTP is); `malformed_body` when it is not
    one JSON object."""
    try:
        document = _DECODER.decode(body.decode() if isinstance(body, bytes) else body)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError too
        raise WebhookRejected(
            "malformed_body", f"{what} is not valid JSON ({error}); send a JSON object."
        ) from None
    if not isinstance(document, dict):
        raise WebhookRejected("malformed_body", f"{what} must be a JSON object.")
    if _too_deep(body, document):
        raise WebhookRejected("malformed_body", f"{what} nests deeper than {MAX_DEPTH} levels.")
    return document


def _too_deep(body: bytes | str, document: Any) -> bool:
    # Fast path: fewer brackets than the limit cannot nest deeper than it.
    raw = body.encode() if isinstance(body, str) else body
    if raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH:
        return False
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        for child in value.values() if isinstance(value, dict) else value:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def as_object(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (for optional nested fields)."""
    return value if isinstance(value, dict) else {}


def dumps(value: Any) -> str:
    """Compact JSON text of `value`; Decimals keep their digits, dict keys keep their order."""
    # The C encoder writes everything but Decimals; each Decimal is written as a string wrapped
    # in a per-process random marker, then unquoted. No input string can hold the marker.
    has_decimal = False

    def number_text(item: Any) -> str:
        nonlocal has_decimal
        if isinstance(item, Decimal):
            has_decimal = True
            return f"{_MARKER}{item}{_MARKER}"
        raise TypeError(f"{type(item).__name__} is not JSON")

    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=number_text)
    return _MARKED.sub(r"\1", text) if has_decimal else text
