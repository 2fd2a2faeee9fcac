"""What the embedded stores share: one file each under the MI home, read without writing.

Doctor never creates or migrates anything: a file that does not exist yet is reported as such
(the first write creates it), and SQLite files are opened read-only.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from marketing_intel.doctor.report import LayerReport, SecretSource

FILE_ISOLATION = "the file has no roles: whoever can read it"


def embedded_layer(
    layer: str, engine: str, path: Path, isolation: str, secrets: list[SecretSource] | None = None
) -> LayerReport:
    """The report of a layer on its embedded default: one local file, `isolation` keeping
    tenants apart in it, and no secret unless `secrets` names one."""
    return LayerReport(
        layer=layer,
        engine=engine,
        production=False,
        location=str(path),
        tenant_isolation=embedded_isolation(isolation, path),
        isolation_in_force=True,
        secrets=secrets or [SecretSource(setting="(none)", source="not needed: a local file")],
    )


def embedded_isolation(what: str, path: Path) -> str:
    """How tenants are kept apart in an embedded file, and who can read the file now."""
    return f"{what}; {FILE_ISOLATION} reads every tenant ({_readers(path)})"


def _readers(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError:
        return "not created yet"
    readers = [
        who for who, bit in (("group", stat.S_IRGRP), ("others", stat.S_IROTH)) if mode & bit
    ]
    who = " and ".join(readers) + " may read it" if readers else "only its owner may read it"
    return f"mode {stat.S_IMODE(mode):04o}: {who}"


def not_created_yet(report: LayerReport, path: Path, created_by: str) -> bool:
    """Say so and return True when the embedded file does not exist yet (a healthy state)."""
    if path.exists():
        return False
    report.schema_version = "not created yet"
    report.last_write_note = f"no file yet; {created_by} creates {path}"
    return True


@contextmanager
def read_only_sqlite(path: Path, timeout_s: float) -> Iterator[sqlite3.Connection]:
    """A read-only connection to an existing SQLite file (waits `timeout_s` for a writer)."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=timeout_s)) as connection:
        yield connection


def from_epoch(seconds: float | None) -> dt.datetime | None:
    """A UTC time from epoch seconds (None stays None)."""
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC)
