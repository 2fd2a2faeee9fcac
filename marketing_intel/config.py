"""Settings of every layer, from `MI_` environment variables (and a `.env` file).

With nothing set, every layer runs embedded under `./.mi/`. Choosing a production engine
(`MI_LAKE_BACKEND=bigquery`) makes its settings required: a missing one stops start-up with a
message naming it, and never falls back to the embedded engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from marketing_intel.errors import MarketingIntelError


class ConfigError(MarketingIntelError):
    """The settings are incomplete or invalid; the message names the `MI_` variables to fix."""


class Settings(BaseSettings):
    """All `MI_` settings. Use `load_settings()`, which turns mistakes into a `ConfigError`."""

    model_config = SettingsConfigDict(env_prefix="MI_", env_file=".env", extra="ignore")

    home: Path = Field(Path(".mi"), description="Folder of the embedded stores.")
    lake_backend: Literal["duckdb", "bigquery"] = "duckdb"
    duckdb_path: Path | None = Field(
        None, description="Embedded lake file; default <home>/lake.duckdb."
    )
    lake_dataset: str = Field(
        "marketing_intel",
        description="The lake's dataset (BigQuery dataset); SQL may qualify tables with it.",
    )
    bigquery_project: str | None = None
    bigquery_location: str = "US"
    bigquery_credentials_file: Path | None = None
    bigquery_credentials_json: SecretStr | None = None
    bigquery_max_bytes_billed: int = Field(
        10 * 2**30, ge=1, description="Refuse queries whose dry run estimates more bytes."
    )
    bigquery_api_endpoint: str | None = Field(
        None, description="Another BigQuery endpoint, e.g. an emulator (no credentials then)."
    )
    bigquery_use_storage_api: bool = Field(
        False, description="Read results through the BigQuery Storage Read API."
    )
    query_row_limit: int = Field(10_000, ge=1)
    query_timeout_s: float = Field(60.0, gt=0)

    # Agent jobs (marketing_intel.jobs): the flow-runs queue and its workers
    redis_url: SecretStr | None = Field(
        None, description="Redis for the BullMQ flow-runs queue; unset: an in-process queue."
    )
    jobs_queue: str = Field("flow-runs", description="The BullMQ queue's name.")
    jobs_prefix: str = Field("bull", description="BullMQ key prefix (producers must use it too).")
    jobs_attempts: int = Field(3, ge=1, description="Tries per job before it fails for good.")
    jobs_backoff_ms: int = Field(2_000, ge=0, description="First retry delay; doubles each try.")
    jobs_concurrency: int = Field(1, ge=1, description="Jobs one worker runs at once.")
    jobs_lock_duration_ms: int = Field(
        30_000, ge=100, description="A job whose worker stops renewing this lock is stalled."
    )
    jobs_stalled_interval_ms: int = Field(
        30_000, ge=100, description="How often workers return stalled jobs to the queue."
    )
    jobs_keep_days: float = Field(
        7.0, gt=0, description="Finished jobs are kept (and their keys deduplicated) this long."
    )
    jobs_metrics_port: int | None = Field(
        None, ge=1, le=65535, description="The worker serves Prometheus /metrics on this port."
    )
    flows_path: Path = Field(Path("flows"), description="Flow JSONs the worker runs by name.")
    langflow_url: str | None = Field(
        None, description="A Langflow server that runs the flows; unset: in process with lfx."
    )
    langflow_api_key: SecretStr | None = None
    langflow_timeout_s: float = Field(300.0, gt=0, description="One flow run over the API.")

    @model_validator(mode="after")
    def _production_engines_are_complete(self) -> Settings:
        if self.lake_backend == "bigquery" and not self.bigquery_project:
            raise ValueError(
                "MI_LAKE_BACKEND=bigquery needs MI_BIGQUERY_PROJECT (the Google Cloud project "
                "that runs the queries); set it, or unset MI_LAKE_BACKEND to use the embedded lake"
            )
        return self

    @model_validator(mode="after")
    def _langflow_api_is_complete(self) -> Settings:
        if self.langflow_url and not self.langflow_api_key:
            raise ValueError(
                "MI_LANGFLOW_URL needs MI_LANGFLOW_API_KEY (a Langflow API key, Settings > API "
                "Keys); set it, or unset MI_LANGFLOW_URL to run flows in process"
            )
        return self

    @property
    def lake_path(self) -> Path:
        """The embedded lake's DuckDB file."""
        return self.duckdb_path or self.home / "lake.duckdb"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, with `overrides` (field name -> value; None means "not given") on top,
    e.g. from a node's inputs; raise a `ConfigError` that names each bad `MI_` variable."""
    given = {name: value for name, value in overrides.items() if value not in (None, "")}
    try:
        return Settings(**given)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = "_".join(str(part) for part in item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"MI_{field.upper()}: {message}" if field else message)
        raise ConfigError("Invalid settings. " + "; ".join(problems)) from None
