"""`use_wal` on a new file opened by many processes at once: before it, about 1 in 60 such
openings failed with "database is locked" (the mode switch does not wait like other statements),
which is how the 50-caller insight cache test failed once in CI."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from marketing_intel.sqlite_wal import use_wal

PROCESSES = 30


def _open(
    path: str, start: multiprocessing.synchronize.Event, results: multiprocessing.Queue
) -> None:  # type: ignore[type-arg]
    start.wait()
    try:
        connection = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        use_wal(connection)
        results.put("ok")
    except sqlite3.Error as error:
        results.put(str(error))


def test_many_processes_switching_a_new_file_to_wal_all_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for trial in range(10):
        path = str(tmp_path / f"new-{trial}.sqlite3")
        start, results = context.Event(), context.Queue()
        processes = [
            context.Process(target=_open, args=(path, start, results)) for _ in range(PROCESSES)
        ]
        for process in processes:
            process.start()
        start.set()
        answers = [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(10)
        assert answers == ["ok"] * PROCESSES
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
