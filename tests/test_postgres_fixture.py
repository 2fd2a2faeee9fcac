"""The PostgreSQL fixture later layers rely on reaches a real server."""

from __future__ import annotations

import psycopg


def test_postgres_answers(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        row = connection.execute("SELECT current_setting('server_version_num')::int").fetchone()
    assert row is not None and row[0] >= 120000
