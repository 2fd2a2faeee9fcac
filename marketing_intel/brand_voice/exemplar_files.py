"""Exemplars from files and rows: one per line (.txt), or CSV / JSONL with a `text` column
(optional `channel`, `tags` as a list or `a;b` text, `approved_at` as an ISO date or time)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from marketing_intel.brand_voice.errors import BrandVoiceError
from marketing_intel.brand_voice.exemplars import Exemplar
from marketing_intel.errors import validation_problems

TEXT_COLUMNS = ("text", "copy", "content", "body")


def read_exemplar_file(
    path: Path, *, tenant: str, brand: str, channel: str | None = None
) -> list[Exemplar]:
    """The exemplars of a .txt, .csv or .jsonl file; a bad row names its line and what is wrong."""
    suffix = path.suffix.lower()
    with path.open(encoding="utf-8") as handle:
        if suffix == ".csv":
            rows: list[tuple[int, Mapping[str, Any]]] = [
                (number, row) for number, row in enumerate(csv.DictReader(handle), start=2)
            ]
        elif suffix in (".jsonl", ".ndjson"):
            rows = [(n, _json_row(line, n)) for n, line in enumerate(handle, 1) if line.strip()]
        else:
            rows = [(n, {"text": line}) for n, line in enumerate(handle, 1) if line.strip()]
    if not rows:
        raise BrandVoiceError(f"{path} holds no exemplars; write one piece of copy per line.")
    return [
        exemplar_from_row(row, tenant=tenant, brand=brand, channel=channel, where=f"line {n}")
        for n, row in rows
    ]


def exemplars_from_rows(
    rows: Iterable[Mapping[str, Any]], *, tenant: str, brand: str, channel: str | None = None
) -> list[Exemplar]:
    """Exemplars from table rows or records (e.g. a DataFrame's), numbered in messages from 1."""
    return [
        exemplar_from_row(row, tenant=tenant, brand=brand, channel=channel, where=f"row {n}")
        for n, row in enumerate(rows, start=1)
    ]


def exemplar_from_row(
    row: Mapping[str, Any], *, tenant: str, brand: str, channel: str | None, where: str
) -> Exemplar:
    """One exemplar from one row; tenant and brand always come from the caller, never the row."""
    text = next((row[c] for c in TEXT_COLUMNS if row.get(c) not in (None, "")), None)
    if text is None:
        raise BrandVoiceError(f"{where} has no text; name the column 'text'.")
    tags = row.get("tags") or []
    if isinstance(tags, str):
        tags = [tag.strip() for tag in tags.split(";") if tag.strip()]
    try:
        return Exemplar(
            tenant=tenant,
            brand=brand,
            text=str(text),
            channel=str(channel or row.get("channel") or "any"),
            tags=[str(tag) for tag in tags],
            approved_at=row.get("approved_at") or None,
        )
    except ValidationError as error:
        raise BrandVoiceError(f"{where}: {validation_problems(error)}") from None


def _json_row(line: str, number: int) -> Mapping[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise BrandVoiceError(f"line {number} is not JSON ({error.msg}).") from None
    if not isinstance(row, dict):
        raise BrandVoiceError(f"line {number} is not a JSON object with a 'text' field.")
    return row
