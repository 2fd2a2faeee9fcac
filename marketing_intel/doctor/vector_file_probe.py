"""A collection of the embedded vector index (`marketing_intel.vectors.SqliteVecIndex`) in its
SQLite file: the memory's and brand voice's embedded default.

Read with the standard library's SQLite, read-only: the collection's record
(`vector_collections`: embedder and dimension) and its items table are plain tables; the
sqlite-vec virtual table is never touched, so no extension is loaded.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from marketing_intel.doctor.embedded_files import not_created_yet, read_only_sqlite
from marketing_intel.doctor.report import LayerReport


def check_collection(
    path: Path, collection: str, report: LayerReport, timeout_s: float, created_by: str
) -> None:
    """Fill in the report from the file's `collection` (created by `created_by`)."""
    if not_created_yet(report, path, created_by):
        return
    try:
        with read_only_sqlite(path, timeout_s) as connection:
            report.reachable = True
            row = _collection(connection, collection)
            if row is None:
                report.schema_version = f"no {collection} collection yet"
                report.last_write_note = f"nothing stored yet; {created_by} creates it"
                return
            embedder, dimension, created_at = row
            report.schema_version = f"collection {collection}: {embedder}, {dimension} dimensions"
            count, tenants = connection.execute(
                f"SELECT COUNT(*), COUNT(DISTINCT tenant) FROM {collection}_items"
            ).fetchone()
    except sqlite3.Error as error:
        report.reachable = False
        report.fail(
            f"The vector file {path} cannot be read ({error}); check its permissions, or move "
            "it aside if it is damaged (the embedded stores start a new one)."
        )
        return
    report.details.update(records=int(count), tenants=int(tenants))
    report.last_write = _file_modified(path)
    report.last_write_note = (
        f"the file's last modification (records carry no write time; collection created "
        f"{created_at})"
    )


def _collection(connection: sqlite3.Connection, collection: str) -> tuple[str, int, str] | None:
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'vector_collections'"
    ).fetchone()
    if not has_table:
        return None
    row = connection.execute(
        "SELECT embedder_id, dimension, created_at FROM vector_collections WHERE name = ?",
        (collection,),
    ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]), str(row[2]))


def _file_modified(path: Path) -> dt.datetime:
    """The newest modification of the file or its write-ahead log (writes land there first)."""
    times = [
        candidate.stat().st_mtime
        for candidate in (path, path.with_name(path.name + "-wal"))
        if candidate.exists()
    ]
    return dt.datetime.fromtimestamp(max(times), dt.UTC)
