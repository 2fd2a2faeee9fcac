"""Personal data out of webhook documents: contact data hashed with the tenant's salt, the rest
dropped, before anything reaches the lake.

Rules, by JSON key at any depth (keys compare lower-cased):
- hashed (HMAC-SHA256 keyed with the tenant's salt, hex): emails, phone numbers and IP addresses
  (`HASHED_KEYS`, and any key containing `phone` or ending in `_ip`). The same email hashes to
  the same value on every platform of a tenant, so customers can be matched; without the salt a
  hash cannot be tested against a list of emails.
- dropped: names, street addresses, postcodes, coordinates, birthdays and free text that people
  type (`DROPPED_KEYS`); inside an object about a person (`PERSON_OBJECTS`: customer, address,
  billing details, profile, from, ...) every key ending in `name` is dropped too, while elsewhere
  `name` is kept (a product's or an order's name). An `address` written as text is dropped.
- Google Ads `user_column_data`: each answer keeps its column id and name; the value is hashed for
  email and phone columns and dropped for every other column (names, addresses, custom answers).
- a safety net: an email address anywhere in any remaining text is replaced by its hash.
Country, region and state are kept: they are not personal at that grain and analyses use them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

HASHED_KEYS = frozenset(
    {
        "email",
        "$email",
        "contact_email",
        "customer_email",
        "receipt_email",
        "phone",
        "$phone_number",
        "phone_number",
        "mobile",
        "browser_ip",
        "client_ip",
        "ip",
        "ip_address",
    }
)
DROPPED_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "full_name",
        "$first_name",
        "$last_name",
        "customer_name",
        "cardholder_name",
        "address1",
        "address2",
        "$address1",
        "$address2",
        "line1",
        "line2",
        "street",
        "street_address",
        "city",
        "$city",
        "zip",
        "$zip",
        "postal_code",
        "zip_code",
        "latitude",
        "longitude",
        "$latitude",
        "$longitude",
        "birthday",
        "date_of_birth",
        "note",
        "notes",
        "note_attributes",
        "customer_note",
        "message",
        "text",
        "comment",
    }
)
PERSON_OBJECTS = frozenset(
    {
        "customer",
        "customer_details",
        "billing_address",
        "shipping_address",
        "default_address",
        "address",
        "addresses",
        "billing_details",
        "shipping",
        "profile",
        "owner",
        "user",
        "contact",
        "from",
        "sender",
        "recipient",
    }
)
# Keys with a rule of their own; every other key is copied (and walked into).
_RULED_KEYS = DROPPED_KEYS | HASHED_KEYS | {"address", "user_column_data"}
_CONTACT_COLUMNS = {"EMAIL": "email", "WORK_EMAIL": "email", "PHONE_NUMBER": "phone"}
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def _is_contact_key(name: str) -> bool:
    """Phone numbers and IP addresses by any key name (`billing_phone`, `remote_ip`): unlike
    emails, no safety net recognizes them in plain text."""
    return "phone" in name or name.endswith("_ip")


class Pseudonymizer:
    """Hashes and redacts personal data with one tenant's salt."""

    def __init__(self, salt: bytes) -> None:
        if not salt:
            raise ValueError("a tenant salt is required to hash personal data")
        # HMAC's keyed state, computed once and copied per value.
        self._keyed = hmac.new(salt, digestmod=hashlib.sha256)

    def hash(self, kind: str, value: str) -> str:
        """The salted hash of `value` of `kind` ("email", "phone", "ip" or an id's platform);
        emails compare case-insensitively, phone numbers by their digits."""
        text = value.strip()
        if kind == "email":
            text = text.lower()
        elif kind == "phone":
            text = ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)
        keyed = self._keyed.copy()
        keyed.update(f"{kind}:{text}".encode())
        return keyed.hexdigest()

    def redact(self, value: Any, *, in_person: bool = False) -> Any:
        """A copy of the JSON `value` without personal data in clear text (see module doc)."""
        if isinstance(value, dict):
            return self._redact_object(value, in_person)
        if isinstance(value, list):
            return [self.redact(item, in_person=in_person) for item in value]
        if isinstance(value, str) and "@" in value:
            return _EMAIL.sub(lambda match: self.hash("email", match.group()), value)
        return value

    def _redact_object(self, document: dict[str, Any], in_person: bool) -> dict[str, Any]:
        redacted: dict[str, Any] = {}
        for key, value in document.items():
            name = key.lower()
            if (
                name in _RULED_KEYS
                or _is_contact_key(name)
                or (in_person and name.endswith("name"))
            ):
                self._apply_rule(redacted, key, name, value)
            elif isinstance(value, dict | list):
                redacted[key] = self.redact(value, in_person=in_person or name in PERSON_OBJECTS)
            elif isinstance(value, str) and "@" in value:
                redacted[key] = self.redact(value)
            else:
                redacted[key] = value  # most leaves: numbers, ids, plain text
        return redacted

    def _apply_rule(self, redacted: dict[str, Any], key: str, name: str, value: Any) -> None:
        """Copy `value` into `redacted` hashed, as lead answers, or not at all (dropped)."""
        if name in HASHED_KEYS or _is_contact_key(name):
            redacted[key] = self._hash_contact(name, value)
        elif name == "user_column_data" and isinstance(value, list):
            redacted[key] = [self._lead_answer(answer) for answer in value]
        elif name == "address" and isinstance(value, dict | list):
            redacted[key] = self.redact(value, in_person=True)
        # anything else here is dropped: a DROPPED_KEYS key, a name inside a person, an address
        # written as one line of text, lead answers that are not a list

    def _hash_contact(self, key: str, value: Any) -> Any:
        if value is None or value == "":
            return value
        if not isinstance(value, str | int) or isinstance(value, bool):
            return None  # not a contact value we can hash: dropped
        kind = "email" if "email" in key else "phone" if "phone" in key or key == "mobile" else "ip"
        return self.hash(kind, str(value))

    def _lead_answer(self, answer: Any) -> Any:
        if not isinstance(answer, dict):
            return None
        column = answer.get("column_id")
        kept: dict[str, Any] = {"column_id": column, "column_name": answer.get("column_name")}
        kind = _CONTACT_COLUMNS.get(column) if isinstance(column, str) else None
        value = answer.get("string_value")
        if kind and isinstance(value, str) and value:
            kept["string_value"] = self.hash(kind, value)
        return kept

    def contact_value(self, answers: Any, kind: str) -> str | None:
        """The hash of the first Google Ads lead answer of `kind` ("email" or "phone")."""
        for answer in answers if isinstance(answers, list) else []:
            if not isinstance(answer, dict):
                continue
            column, value = answer.get("column_id"), answer.get("string_value")
            if _CONTACT_COLUMNS.get(str(column)) == kind and isinstance(value, str) and value:
                return self.hash(kind, value)
        return None
