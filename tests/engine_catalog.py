"""Names of DuckDB's catalog and settings that a query may try to read (issue 17, item 3): the
guard must refuse each, however it is named. Shared by the guard's tests and its fuzzer."""

from __future__ import annotations

CATALOG_NAMES = [
    "pg_settings",
    "duckdb_tables",
    "pg_class",
    "pg_tables",
    "sqlite_master",
    "duckdb_columns",
    "duckdb_databases",
    "pragma_database_list",
]
