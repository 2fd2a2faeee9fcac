"""The lake: BigQuery (production) or the embedded DuckDB file.

Neither has a schema version: the lake's DDL is idempotent (`CREATE TABLE IF NOT EXISTS`), so
the schema "applied" is which of the lake tables exist. The last write is the newest arrival
time on DuckDB (one aggregate per table) and the tables' modification time on BigQuery (table
metadata: free, no query billed).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from marketing_intel.config import Settings
from marketing_intel.doctor.embedded_files import (
    embedded_layer,
    not_created_yet,
)
from marketing_intel.doctor.report import LayerReport, SecretSource
from marketing_intel.doctor.secret_sources import file_source, secret_source
from marketing_intel.lake.schema import lake_tables

GUARD = "tenant guard: every query reads only the tenant's rows (a bound @tenant_id)"
# The column that says when a row arrived (audience_insights has none).
ARRIVAL_COLUMNS = {
    "platform_events": "received_at",
    "integration_raw_data": "received_at",
    "campaign_metrics": "updated_at",
}
CREATED_BY = "the first write (`mi demo seed`, `mi lake load` or the bridge)"


def describe(settings: Settings) -> LayerReport:
    """What the settings configure for the lake."""
    if settings.lake.backend == "bigquery":
        lake = settings.lake
        where = f"{lake.bigquery_project}.{lake.dataset} ({lake.bigquery_location})"
        if settings.lake.bigquery_api_endpoint:
            where += f" at {settings.lake.bigquery_api_endpoint}"
        return LayerReport(
            layer="lake",
            engine="BigQuery",
            production=True,
            location=where,
            tenant_isolation=GUARD,
            isolation_in_force=True,
            secrets=[_bigquery_credentials(settings)],
        )
    path = settings.lake_path
    return embedded_layer("lake", "DuckDB", path, GUARD)


def _bigquery_credentials(settings: Settings) -> SecretSource:
    if settings.lake.bigquery_credentials_json is not None:
        return secret_source("MI_BIGQUERY_CREDENTIALS_JSON")
    if settings.lake.bigquery_credentials_file is not None:
        return file_source("MI_BIGQUERY_CREDENTIALS_FILE", settings.lake.bigquery_credentials_file)
    if settings.lake.bigquery_api_endpoint:
        return SecretSource(setting="(credentials)", source="not needed: an emulator endpoint")
    return SecretSource(
        setting="(credentials)",
        source="Application Default Credentials (GOOGLE_APPLICATION_"
        "CREDENTIALS, gcloud, or the metadata server)",
    )


def needs(settings: Settings) -> tuple[str, ...]:
    """The modules the check of the configured lake imports."""
    if settings.lake.backend == "bigquery":
        return ("marketing_intel.lake.bigquery_client", "google.cloud.bigquery.retry")
    return ("duckdb",)


def check(settings: Settings, report: LayerReport, timeout_s: float) -> None:
    """Reach the configured lake and fill in the report."""
    if settings.lake.backend == "bigquery":
        _check_bigquery(settings, report, timeout_s)
    else:
        _check_duckdb(settings.lake_path, report, timeout_s)


def _check_duckdb(path: Path, report: LayerReport, timeout_s: float) -> None:
    import duckdb

    report.engine = f"DuckDB {duckdb.__version__}"
    if not_created_yet(report, path, CREATED_BY):
        return
    connection = _open_read_only(path, report, timeout_s)
    if connection is None:
        return
    try:
        found = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        present = [name for name in lake_tables() if name in found]
        _tables_found(report, present, "DuckDB creates them on the first write")
        rows = sum(_scalar(connection, f'SELECT COUNT(*) FROM "{name}"') for name in present)
        report.details["rows"] = rows
        latest = [
            _scalar(connection, f'SELECT MAX("{column}") FROM "{table}"')
            for table, column in ARRIVAL_COLUMNS.items()
            if table in present
        ]
        times = [value for value in latest if value is not None]
        report.last_write = max(times) if times else None
        report.last_write_note = "newest arrival time of a row" if times else "no rows yet"
    finally:
        connection.close()


def _open_read_only(path: Path, report: LayerReport, timeout_s: float) -> Any:
    """A read-only connection, waiting up to `timeout_s` while another process writes."""
    import duckdb

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            connection = duckdb.connect(str(path), read_only=True)
            report.reachable = True
            return connection
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                report.reachable = False
                report.fail(f"The lake file {path} cannot be opened ({_first_line(error)}).")
                return None
            if time.monotonic() > deadline:
                report.reachable = True
                report.warn(
                    f"The lake file {path} stayed locked by another process for {timeout_s:g} s "
                    "(DuckDB lets one process write at a time); run `mi doctor` again when "
                    "it is idle."
                )
                return None
            time.sleep(0.1)


def _scalar(connection: Any, sql: str) -> Any:
    row = connection.execute(sql).fetchone()
    return row[0] if row else None


def _tables_found(report: LayerReport, present: list[str], created_when: str) -> None:
    expected = len(lake_tables())
    report.schema_version = f"{len(present)} of {expected} lake tables"
    if len(present) < expected:
        missing = ", ".join(name for name in lake_tables() if name not in present)
        report.warn(f"The lake has no {missing} yet; {created_when}.")


def _check_bigquery(settings: Settings, report: LayerReport, timeout_s: float) -> None:
    from google.api_core import exceptions as google_errors
    from google.auth import exceptions as auth_errors
    from google.cloud.bigquery.retry import DEFAULT_RETRY

    from marketing_intel.lake.bigquery_client import bigquery_client

    client = bigquery_client(settings)  # a LakeConfigError says which setting to fix
    dataset = f"{settings.lake.bigquery_project}.{settings.lake.dataset}"
    try:
        # One try: the client's default retries a refused connection for minutes.
        retry = DEFAULT_RETRY.with_predicate(lambda _error: False)
        client.get_dataset(dataset, retry=retry, timeout=timeout_s)
        report.reachable = True
        tables = {
            item.table_id for item in client.list_tables(dataset, retry=retry, timeout=timeout_s)
        }
        present = [name for name in lake_tables() if name in tables]
        _tables_found(report, present, "`mi lake load`, `mi demo seed` or the bridge creates them")
        described = [
            client.get_table(f"{dataset}.{name}", retry=retry, timeout=timeout_s)
            for name in present
        ]
    except google_errors.NotFound:
        report.reachable = True
        report.schema_version = f"0 of {len(lake_tables())} lake tables"
        report.warn(
            f"The BigQuery dataset {dataset} does not exist yet; `mi lake load`, `mi demo seed` "
            "or the bridge creates it (check MI_BIGQUERY_PROJECT and MI_LAKE_DATASET if it "
            "should exist)."
        )
        return
    except (google_errors.Unauthorized, google_errors.Forbidden) as error:
        report.reachable = True
        report.fail(
            f"BigQuery refused the credentials for {dataset} ({_first_line(error)}); give the "
            "service account BigQuery Data Editor and Job User on the project, or fix "
            "MI_BIGQUERY_CREDENTIALS_JSON / MI_BIGQUERY_CREDENTIALS_FILE."
        )
        return
    except (google_errors.GoogleAPIError, auth_errors.GoogleAuthError, OSError) as error:
        report.reachable = False
        report.fail(
            f"BigQuery at {report.location} could not be reached ({_first_line(error)}); check "
            "the network, MI_BIGQUERY_API_ENDPOINT if set, and the credentials."
        )
        return
    finally:
        client.close()
    report.details["rows"] = sum(table.num_rows or 0 for table in described)
    modified = [table.modified for table in described if table.modified is not None]
    report.last_write = max(modified) if modified else None
    report.last_write_note = "tables' last modification (BigQuery metadata)"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
