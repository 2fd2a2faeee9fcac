"""Install the DuckDB extensions the BigQuery emulator needs from their wheels, offline.

Run with the emulator's Python (``make emulator`` does it)::

    .emulator-venv/bin/python emulator/install_extensions.py .emulator-venv/home

DuckDB keeps installed extensions in ``$HOME/.duckdb/extensions/<version>/<platform>``.
local-bigquery opens its DuckDB connection without any setting for that directory, so the tests
start the emulator with ``HOME`` pointing at the project-local folder given here: neither this
script nor the tests read or write the developer's own ``~/.duckdb``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# ICU is built into the DuckDB 1.5.5 Python wheel; the others are loaded by the emulator at run time
# (ducklake for every table, spatial by its GEOGRAPHY functions, avro for Avro loads).
EXTENSIONS = ("icu", "ducklake", "spatial", "avro")
REQUIRED = ("ducklake", "spatial", "avro")


def main(home: Path) -> int:
    """Import the extensions into ``home``'s DuckDB extension directory; check they load offline."""
    home.mkdir(parents=True, exist_ok=True)
    os.environ["HOME"] = str(home.resolve())  # read by DuckDB when a connection is opened

    import duckdb
    import duckdb_extensions

    offline = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    with duckdb.connect(config=offline) as con:
        for name in EXTENSIONS:
            duckdb_extensions.import_extension(name, con=con)
    with duckdb.connect(config=offline) as con:
        for name in REQUIRED:
            con.execute(f"LOAD {name}")
        rows = con.execute(
            "SELECT extension_name, install_path FROM duckdb_extensions() "
            "WHERE loaded AND install_path LIKE '%.duckdb_extension' ORDER BY 1"
        ).fetchall()
    loaded = {name for name, _ in rows}
    missing = set(REQUIRED) - loaded
    if missing:
        print(f"DuckDB extensions not loadable offline: {sorted(missing)}", file=sys.stderr)
        return 1
    directory = Path(rows[0][1]).parent
    print(f"DuckDB {duckdb.__version__} extensions {sorted(loaded)} ready in {directory}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} HOME_DIR")
    sys.exit(main(Path(sys.argv[1])))
