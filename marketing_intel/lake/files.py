"""Rows for a lake table from CSV, JSON lines or Parquet files, numbered for error reports."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from marketing_intel.lake.errors import InvalidRows
from marketing_intel.lake.rows import conform_arrow, rows_to_arrow
from marketing_intel.lake.schema import TableSpec

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def file_format(path: Path) -> str:
    """csv, jsonl or parquet by the file's extension; ValueError for anything else."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"{path.name}: unknown file type; use .csv, .jsonl (or .ndjson) or .parquet"
        ) from None


def read_table_file(spec: TableSpec, path: Path) -> pa.Table:
    """Every row of `path` checked against `spec`, or `InvalidRows` naming each bad line."""
    kind = file_format(path)
    if kind == "parquet":
        return conform_arrow(spec, pq.read_table(path))
    numbered = _csv_rows(path) if kind == "csv" else _jsonl_rows(spec, path)
    return rows_to_arrow(spec, numbered)


def _csv_rows(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            yield reader.line_num, row  # the line a row ends on; the header is line 1


def _jsonl_rows(spec: TableSpec, path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    bad: list[tuple[int | None, str]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                bad.append((number, f"not valid JSON ({error.msg})"))
    if bad:
        raise InvalidRows(spec.name, bad)
