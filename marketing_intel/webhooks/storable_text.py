"""Text the stores can hold: lone UTF-16 surrogates and NUL replaced by U+FFFD.

JSON may escape any code unit (`"\\ud800"`, `"\\u0000"`), so a correctly signed webhook can carry
text that no store of ours holds: a lone surrogate is not encodable as UTF-8 (pyarrow, DuckDB's
JSON, BigQuery, psycopg, SQLite all refuse it) and PostgreSQL text refuses NUL.

We store such text with each bad character replaced by U+FFFD and flag the event
(`attributes.text_replaced` in `platform_events`) rather than refuse the webhook with a 4xx:
senders retry every non-2xx (Shopify 8 times over 4 h, then may delete the subscription; Meta for
36 h, then drops it), so a refusal would lose the event and could cut off the tenant's feed for
one odd character. The signature is over the exact bytes, the inbox keeps those bytes (and
`integration_raw_data.body_sha256` their hash), so the original stays verifiable.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
# Python's JSON decoder joins a valid escaped pair into one character: any surrogate left is lone.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    """Whether every store can hold `text` as it is."""
    return _UNSTORABLE.search(text) is None


def storable_text(text: str) -> str:
    """`text` with each lone surrogate and NUL replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def storable_document(value: Any) -> tuple[Any, bool]:
    """A parsed JSON value with every key and string made storable, and whether any changed.

    Recursive: `parse_object` refuses documents deeper than `MAX_DEPTH`.
    """
    changed = False

    def fixed(text: str) -> str:
        nonlocal changed
        if is_storable(text):
            return text
        changed = True
        return storable_text(text)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return fixed(item)
        if isinstance(item, dict):
            return {fixed(key): walk(child) for key, child in item.items()}
        if isinstance(item, list):
            return [walk(child) for child in item]
        return item

    return walk(value), changed


def escaped_surrogates(json_text: str) -> str:
    """JSON text with each lone surrogate written as its `\\uXXXX` escape: valid UTF-8 once
    encoded, and it parses back to the very same value (a surrogate in JSON text from
    `json.dumps` can only sit inside a string)."""
    return re.sub("[\ud800-\udfff]", lambda match: f"\\u{ord(match.group()):04x}", json_text)
