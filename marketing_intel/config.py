"""Settings of every layer, from `MI_` environment variables (and a `.env` file).

With nothing set, every layer runs embedded under `./.mi/`. Choosing a production engine
(`MI_LAKE_BACKEND=bigquery`) makes its settings required: a missing one stops start-up with a
message naming it, and never falls back to the embedded engine.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import ByteSize, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from marketing_intel.errors import MarketingIntelError, problem_text
from marketing_intel.node_urls import IPNetwork, allowed_networks


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
    query_timeout_s: float = Field(
        60.0, gt=0, description="One deadline per query: checking, transpiling and running it."
    )
    query_max_sql_bytes: ByteSize = Field(
        ByteSize(100_000), ge=1, description="Refuse SQL text longer than this (e.g. 100KB)."
    )
    query_memory_limit: ByteSize = Field(
        ByteSize(2**30),
        ge=2**20,
        description="Memory of the embedded lake's queries (DuckDB memory_limit, e.g. 1GiB).",
    )
    # Brand voice (and the local vector file it shares with other embedded stores)
    brand_voice_backend: Literal["local", "pinecone"] = "local"
    vectors_path: Path | None = Field(
        None, description="Embedded vector file (sqlite-vec); default <home>/vectors.sqlite."
    )
    pinecone_api_key: SecretStr | None = None
    pinecone_index: str | None = Field(None, description="Pinecone index name (control plane).")
    pinecone_index_host: str | None = Field(
        None, description="The index's data-plane URL; skips the control-plane lookup."
    )
    pinecone_control_host: str | None = Field(
        None, description="Another control-plane URL (default Pinecone's own)."
    )
    brand_voice_min_exemplars: int = Field(
        10, ge=3, description="Below this many exemplars a brand's score is 'not reliable'."
    )

    # Agent memory
    memory_backend: Literal["local", "zerodb"] = "local"
    memory_path: Path | None = Field(
        None, description="Embedded memory file; default <home>/memory.sqlite."
    )
    zerodb_base_url: str = "https://api.ainative.studio"
    zerodb_api_key: SecretStr | None = None
    zerodb_project_id: str | None = None
    zerodb_namespace: str = Field(
        "mi-memory", description="Prefix of the per-tenant vector namespaces (<prefix>/<tenant>)."
    )
    zerodb_timeout_s: float = Field(10.0, gt=0)
    zerodb_max_attempts: int = Field(4, ge=1, le=10)
    # URLs typed into nodes (ZeroDB URL, Pinecone index host): see marketing_intel.node_urls
    node_url_allowed_networks: str = Field(
        "",
        description="Comma-separated networks (CIDRs) that URLs typed into nodes may reach "
        "although they are not public, over http too (e.g. 127.0.0.0/8 for local stand-ins); "
        "empty: nodes reach public https hosts only.",
    )

    @field_validator("node_url_allowed_networks")
    @classmethod
    def _networks_parse(cls, text: str) -> str:
        allowed_networks(text)
        return text

    @property
    def node_url_networks(self) -> list[IPNetwork]:
        """The networks of `node_url_allowed_networks`."""
        return allowed_networks(self.node_url_allowed_networks)

    @model_validator(mode="after")
    def _zerodb_is_complete(self) -> Settings:
        if self.memory_backend == "zerodb":
            missing = [
                name
                for name, value in (
                    ("MI_ZERODB_API_KEY", self.zerodb_api_key),
                    ("MI_ZERODB_PROJECT_ID", self.zerodb_project_id),
                )
                if not value
            ]
            if missing:
                raise ValueError(
                    f"MI_MEMORY_BACKEND=zerodb needs {' and '.join(missing)} (from the ZeroDB "
                    "dashboard); set them, or unset MI_MEMORY_BACKEND to use the embedded memory"
                )
        return self

    @property
    def memory_file(self) -> Path:
        """The embedded memory's SQLite file."""
        return self.memory_path or self.home / "memory.sqlite"

    # Insight cache
    cache_backend: Literal["sqlite", "postgres"] = "sqlite"
    cache_url: SecretStr | None = Field(
        None, description="PostgreSQL URL of the insight cache (required when postgres)."
    )
    cache_schema: str = Field("mi_cache", description="PostgreSQL schema of the insight cache.")
    cache_migrate_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL of the role that owns the cache schema, for `mi cache "
        "migrate` only (it grants MI_CACHE_URL's role what it needs); unset: MI_CACHE_URL's.",
    )
    cache_ttl_s: int = Field(
        600, ge=300, le=900, description="How long a cached report is served (5-15 minutes)."
    )

    # Bridge (webhook inbox, sources, flusher)
    bridge_database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL of the bridge (postgresql://...); default SQLite <home>/bridge.db.",
    )
    bridge_secret_key: SecretStr | None = Field(
        None,
        description="Fernet key(s) that encrypt source secrets, comma-separated, newest first.",
    )
    bridge_max_body_bytes: int = Field(1024 * 1024, ge=1, description="Larger bodies get 413.")
    bridge_rotation_grace_s: int = Field(
        24 * 3600, ge=0, description="How long a rotated-out source secret stays valid."
    )
    bridge_source_cache_s: float = Field(
        5.0, ge=0, description="How long a server reuses a source it read (disable/rotate lag)."
    )
    bridge_flush_in_process: bool = Field(
        True, description="Run the flusher inside `mi bridge serve` (else run `mi bridge flush`)."
    )
    bridge_flush_batch_size: int = Field(5000, ge=1)
    bridge_flush_interval_s: float = Field(0.5, gt=0, description="Idle wait between flushes.")
    bridge_flush_max_attempts: int = Field(8, ge=1, description="Then the row is dead-lettered.")
    bridge_flush_backoff_s: float = Field(1.0, gt=0, description="First retry delay; doubles.")
    bridge_flush_backoff_max_s: float = Field(300.0, gt=0)
    bridge_inbox_retention_s: int = Field(
        7 * 24 * 3600,
        ge=3600,
        description="How long flushed inbox rows are kept to recognise redeliveries (platforms "
        "stop retrying within 3 days); then the flusher deletes them.",
    )

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
        if self.cache_backend == "postgres" and not self.cache_url:
            raise ValueError(
                "MI_CACHE_BACKEND=postgres needs MI_CACHE_URL (postgresql://user:password@host/db "
                "of the insight cache); set it, or unset MI_CACHE_BACKEND to use the embedded cache"
            )
        return self

    @model_validator(mode="after")
    def _pinecone_is_complete(self) -> Settings:
        if self.brand_voice_backend != "pinecone":
            return self
        if self.pinecone_api_key is None or not self.pinecone_api_key.get_secret_value():
            raise ValueError(
                "MI_BRAND_VOICE_BACKEND=pinecone needs MI_PINECONE_API_KEY; set it, or unset "
                "MI_BRAND_VOICE_BACKEND to use the embedded index"
            )
        if not (self.pinecone_index or self.pinecone_index_host):
            raise ValueError(
                "MI_BRAND_VOICE_BACKEND=pinecone needs MI_PINECONE_INDEX (the index name) or "
                "MI_PINECONE_INDEX_HOST (its data-plane URL)"
            )
        return self

    @property
    def local_vectors_path(self) -> Path:
        """The embedded vector file (sqlite-vec) shared by the embedded stores."""
        return self.vectors_path or self.home / "vectors.sqlite"

    @property
    def cache_path(self) -> Path:
        """The embedded insight cache's SQLite file."""
        return self.home / "insight_cache.sqlite3"

    @model_validator(mode="after")
    def _bridge_key_with_production_database(self) -> Settings:
        if self.bridge_database_url and not self.bridge_secret_key:
            raise ValueError(
                "MI_BRIDGE_DATABASE_URL is set but MI_BRIDGE_SECRET_KEY is not: the bridge "
                'encrypts source secrets with it. Generate one with `python -c "from '
                'cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"` '
                "and keep it in your secret store"
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
            message = problem_text(item)
            problems.append(f"MI_{field.upper()}: {message}" if field else message)
        raise ConfigError("Invalid settings. " + "; ".join(problems)) from None


# Settings by what they were read from; a handful of configurations per process at most.
_CURRENT: dict[tuple[Any, ...], Settings] = {}
_CURRENT_LOCK = threading.Lock()
_CURRENT_MAX = 64


def current_settings(**overrides: Any) -> Settings:
    """`load_settings(**overrides)`, read again only when the `MI_` environment, the working
    folder or its `.env` file changed: the Langflow nodes read their settings on every flow run,
    and parsing them costs about a millisecond each time. Do not modify the result (shared)."""
    try:
        stat = os.stat(".env")
        env_file: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        env_file = None
    environment = tuple(
        sorted(
            (name, value) for name, value in os.environ.items() if name.upper().startswith("MI_")
        )
    )
    key = (os.getcwd(), env_file, environment, tuple(sorted(overrides.items())))
    try:
        found = _CURRENT.get(key)
    except TypeError:  # an unhashable override: read the settings every time
        return load_settings(**overrides)
    if found is None:
        found = load_settings(**overrides)
        with _CURRENT_LOCK:
            if len(_CURRENT) >= _CURRENT_MAX:
                _CURRENT.clear()
            _CURRENT[key] = found
    return found
