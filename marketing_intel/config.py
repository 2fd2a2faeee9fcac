"""Settings of every layer, from `MI_` environment variables (and a `.env` file).

With nothing set, every layer runs embedded under `./.mi/`. Choosing a production engine
(`MI_LAKE_BACKEND=bigquery`) makes its settings required: a missing one stops start-up with a
message naming it, and never falls back to the embedded engine.

The settings are grouped per layer (`settings.lake.backend`, `settings.cache.url`, ...): each
group is its own pydantic-settings model with its validators beside its fields. A group reads
the variables of its layer's prefix (`MI_LAKE_BACKEND` is `lake.backend`); a field named
otherwise says its variable (`validation_alias="MI_DUCKDB_PATH"`), so every `MI_` name stays
flat, as operators know it. `load_settings` reads every group and names each bad variable.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ByteSize,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from marketing_intel.errors import MarketingIntelError, problem_text
from marketing_intel.holidays import parse_markets
from marketing_intel.node_urls import IPNetwork, allowed_networks


class ConfigError(MarketingIntelError):
    """The settings are incomplete or invalid; the message names the `MI_` variables to fix."""


class SettingsGroup(BaseSettings):
    """One layer's settings: its `MI_` variables, read from the environment and `.env`.

    Frozen, so that a group can key the instances opened with it (and callers that share the
    settings of `current_settings` cannot change them under each other).
    """

    model_config = SettingsConfigDict(
        env_prefix="MI_", env_file=".env", extra="ignore", frozen=True, populate_by_name=True
    )

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Field name -> the `MI_` variable it reads."""
        prefix = cls.model_config.get("env_prefix", "")
        return {
            name: field.validation_alias
            if isinstance(field.validation_alias, str)
            else f"{prefix}{name}".upper()
            for name, field in cls.model_fields.items()
        }


class HomeSettings(SettingsGroup):
    """Where the embedded stores keep their files."""

    home: Path = Field(Path(".mi"), description="Folder of the embedded stores.")


class LakeSettings(SettingsGroup):
    """The lake's engine: the embedded DuckDB file or BigQuery (`MI_LAKE_*`, `MI_BIGQUERY_*`)."""

    model_config = SettingsConfigDict(env_prefix="MI_LAKE_")

    backend: Literal["duckdb", "bigquery"] = "duckdb"
    dataset: str = Field(
        "marketing_intel",
        description="The lake's dataset (BigQuery dataset); SQL may qualify tables with it.",
    )
    duckdb_path: Path | None = Field(
        None,
        validation_alias="MI_DUCKDB_PATH",
        description="Embedded lake file; default <home>/lake.duckdb.",
    )
    bigquery_project: str | None = Field(None, validation_alias="MI_BIGQUERY_PROJECT")
    bigquery_location: str = Field("US", validation_alias="MI_BIGQUERY_LOCATION")
    bigquery_credentials_file: Path | None = Field(
        None, validation_alias="MI_BIGQUERY_CREDENTIALS_FILE"
    )
    bigquery_credentials_json: SecretStr | None = Field(
        None, validation_alias="MI_BIGQUERY_CREDENTIALS_JSON"
    )
    bigquery_max_bytes_billed: int = Field(
        10 * 2**30,
        ge=1,
        validation_alias="MI_BIGQUERY_MAX_BYTES_BILLED",
        description="Refuse queries whose dry run estimates more bytes.",
    )
    bigquery_api_endpoint: str | None = Field(
        None,
        validation_alias="MI_BIGQUERY_API_ENDPOINT",
        description="Another BigQuery endpoint, e.g. an emulator (no credentials then).",
    )
    bigquery_use_storage_api: bool = Field(
        False,
        validation_alias="MI_BIGQUERY_USE_STORAGE_API",
        description="Read results through the BigQuery Storage Read API.",
    )

    @model_validator(mode="after")
    def _bigquery_is_complete(self) -> LakeSettings:
        if self.backend == "bigquery" and not self.bigquery_project:
            raise ValueError(
                "MI_LAKE_BACKEND=bigquery needs MI_BIGQUERY_PROJECT (the Google Cloud project "
                "that runs the queries); set it, or unset MI_LAKE_BACKEND to use the embedded lake"
            )
        return self


class QuerySettings(SettingsGroup):
    """The bounds of every lake query (`MI_QUERY_*`)."""

    model_config = SettingsConfigDict(env_prefix="MI_QUERY_")

    row_limit: int = Field(10_000, ge=1)
    timeout_s: float = Field(
        60.0, gt=0, description="One deadline per query: checking, transpiling and running it."
    )
    max_sql_bytes: ByteSize = Field(
        ByteSize(100_000), ge=1, description="Refuse SQL text longer than this (e.g. 100KB)."
    )
    memory_limit: ByteSize = Field(
        ByteSize(2**30),
        ge=2**20,
        description="Memory of the embedded lake's queries (DuckDB memory_limit, e.g. 1GiB).",
    )


class MemorySettings(SettingsGroup):
    """Agent memory: the embedded SQLite store or ZeroDB (`MI_MEMORY_*`, `MI_ZERODB_*`)."""

    model_config = SettingsConfigDict(env_prefix="MI_MEMORY_")

    backend: Literal["local", "zerodb"] = "local"
    path: Path | None = Field(
        None, description="Embedded memory file; default <home>/memory.sqlite."
    )
    zerodb_base_url: str = Field(
        "https://api.ainative.studio", validation_alias="MI_ZERODB_BASE_URL"
    )
    zerodb_api_key: SecretStr | None = Field(None, validation_alias="MI_ZERODB_API_KEY")
    zerodb_project_id: str | None = Field(None, validation_alias="MI_ZERODB_PROJECT_ID")
    zerodb_namespace: str = Field(
        "mi-memory",
        validation_alias="MI_ZERODB_NAMESPACE",
        description="Prefix of the per-tenant vector namespaces (<prefix>/<tenant>).",
    )
    zerodb_timeout_s: float = Field(10.0, gt=0, validation_alias="MI_ZERODB_TIMEOUT_S")
    zerodb_max_attempts: int = Field(4, ge=1, le=10, validation_alias="MI_ZERODB_MAX_ATTEMPTS")

    @model_validator(mode="after")
    def _zerodb_is_complete(self) -> MemorySettings:
        if self.backend != "zerodb":
            return self
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


class BrandVoiceSettings(SettingsGroup):
    """Brand voice: the embedded sqlite-vec file or Pinecone (`MI_BRAND_VOICE_*`,
    `MI_PINECONE_*`), and the local vector file it shares with other embedded stores."""

    model_config = SettingsConfigDict(env_prefix="MI_BRAND_VOICE_")

    backend: Literal["local", "pinecone"] = "local"
    min_exemplars: int = Field(
        10, ge=3, description="Below this many exemplars a brand's score is 'not reliable'."
    )
    vectors_path: Path | None = Field(
        None,
        validation_alias="MI_VECTORS_PATH",
        description="Embedded vector file (sqlite-vec); default <home>/vectors.sqlite.",
    )
    pinecone_api_key: SecretStr | None = Field(None, validation_alias="MI_PINECONE_API_KEY")
    pinecone_index: str | None = Field(
        None, validation_alias="MI_PINECONE_INDEX", description="Pinecone index name."
    )
    pinecone_index_host: str | None = Field(
        None,
        validation_alias="MI_PINECONE_INDEX_HOST",
        description="The index's data-plane URL; skips the control-plane lookup.",
    )
    pinecone_control_host: str | None = Field(
        None,
        validation_alias="MI_PINECONE_CONTROL_HOST",
        description="Another control-plane URL (default Pinecone's own).",
    )

    @model_validator(mode="after")
    def _pinecone_is_complete(self) -> BrandVoiceSettings:
        if self.backend != "pinecone":
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


class CacheSettings(SettingsGroup):
    """The insight cache: the embedded SQLite file or PostgreSQL (`MI_CACHE_*`)."""

    model_config = SettingsConfigDict(env_prefix="MI_CACHE_")

    backend: Literal["sqlite", "postgres"] = "sqlite"
    url: SecretStr | None = Field(
        None, description="PostgreSQL URL of the insight cache (required when postgres)."
    )
    # Not `schema`: that name shadows a pydantic BaseModel method.
    schema_name: str = Field(
        "mi_cache",
        validation_alias="MI_CACHE_SCHEMA",
        description="PostgreSQL schema of the insight cache.",
    )
    migrate_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL of the role that owns the cache schema, for `mi cache "
        "migrate` only (it grants MI_CACHE_URL's role what it needs); unset: MI_CACHE_URL's.",
    )
    ttl_s: int = Field(
        600, ge=300, le=900, description="How long a cached report is served (5-15 minutes)."
    )

    @model_validator(mode="after")
    def _postgres_is_complete(self) -> CacheSettings:
        if self.backend == "postgres" and not self.url:
            raise ValueError(
                "MI_CACHE_BACKEND=postgres needs MI_CACHE_URL (postgresql://user:password@host/db "
                "of the insight cache); set it, or unset MI_CACHE_BACKEND to use the embedded cache"
            )
        return self


class BridgeSettings(SettingsGroup):
    """The bridge: webhook inbox, sources and flusher (`MI_BRIDGE_*`)."""

    model_config = SettingsConfigDict(env_prefix="MI_BRIDGE_")

    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL of the bridge (postgresql://...); default SQLite <home>/bridge.db.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Fernet key(s) that encrypt source secrets, comma-separated, newest first.",
    )
    max_body_bytes: int = Field(1024 * 1024, ge=1, description="Larger bodies get 413.")
    rotation_grace_s: int = Field(
        24 * 3600, ge=0, description="How long a rotated-out source secret stays valid."
    )
    source_cache_s: float = Field(
        5.0, ge=0, description="How long a server reuses a source it read (disable/rotate lag)."
    )
    flush_in_process: bool = Field(
        True, description="Run the flusher inside `mi bridge serve` (else run `mi bridge flush`)."
    )
    flush_batch_size: int = Field(5000, ge=1)
    flush_interval_s: float = Field(0.5, gt=0, description="Idle wait between flushes.")
    flush_max_attempts: int = Field(8, ge=1, description="Then the row is dead-lettered.")
    flush_backoff_s: float = Field(1.0, gt=0, description="First retry delay; doubles.")
    flush_backoff_max_s: float = Field(300.0, gt=0)
    inbox_retention_s: int = Field(
        7 * 24 * 3600,
        ge=3600,
        description="How long flushed inbox rows are kept to recognise redeliveries (platforms "
        "stop retrying within 3 days); then the flusher deletes them.",
    )

    @model_validator(mode="after")
    def _key_with_production_database(self) -> BridgeSettings:
        if self.database_url and not self.secret_key:
            raise ValueError(
                "MI_BRIDGE_DATABASE_URL is set but MI_BRIDGE_SECRET_KEY is not: the bridge "
                'encrypts source secrets with it. Generate one with `python -c "from '
                'cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"` '
                "and keep it in your secret store"
            )
        return self


class JobsSettings(SettingsGroup):
    """Agent jobs: the flow-runs queue and its workers (`MI_JOBS_*`, `MI_REDIS_URL`)."""

    model_config = SettingsConfigDict(env_prefix="MI_JOBS_")

    redis_url: SecretStr | None = Field(
        None,
        validation_alias="MI_REDIS_URL",
        description="Redis for the BullMQ flow-runs queue; unset: an in-process queue.",
    )
    queue: str = Field("flow-runs", description="The BullMQ queue's name.")
    prefix: str = Field("bull", description="BullMQ key prefix (producers must use it too).")
    attempts: int = Field(3, ge=1, description="Tries per job before it fails for good.")
    backoff_ms: int = Field(2_000, ge=0, description="First retry delay; doubles each try.")
    concurrency: int = Field(1, ge=1, description="Jobs one worker runs at once.")
    lock_duration_ms: int = Field(
        30_000, ge=100, description="A job whose worker stops renewing this lock is stalled."
    )
    stalled_interval_ms: int = Field(
        30_000, ge=100, description="How often workers return stalled jobs to the queue."
    )
    keep_days: float = Field(
        7.0, gt=0, description="Finished jobs are kept (and their keys deduplicated) this long."
    )
    metrics_port: int | None = Field(
        None, ge=1, le=65535, description="The worker serves Prometheus /metrics on this port."
    )


# Where `make runtime` serves Langflow's runtime profile, the backend's flow server.
RUNTIME_LANGFLOW_URL = "http://127.0.0.1:7861"


class FlowsSettings(SettingsGroup):
    """The flows the jobs run, and who runs them (`MI_FLOWS_*`, `MI_LANGFLOW_*`).

    `runner` chooses: `in-process` runs a flow in the worker with lfx; `langflow` sends it to a
    Langflow server's run API, by default the runtime profile of `make runtime`. The server's API
    key has no default: a secret is never guessed.
    """

    model_config = SettingsConfigDict(env_prefix="MI_FLOWS_")

    path: Path = Field(Path("flows"), description="Flow JSONs the worker runs by name.")
    runner: Literal["in-process", "langflow"] = Field(
        "in-process",
        description="Who runs a job's flow: the worker itself with lfx, or a Langflow server.",
    )
    langflow_url: str = Field(
        RUNTIME_LANGFLOW_URL,
        validation_alias="MI_LANGFLOW_URL",
        description="The Langflow server of the langflow runner; default: `make runtime`'s.",
    )
    langflow_api_key: SecretStr | None = Field(None, validation_alias="MI_LANGFLOW_API_KEY")
    langflow_timeout_s: float = Field(
        300.0,
        gt=0,
        validation_alias="MI_LANGFLOW_TIMEOUT_S",
        description="One flow run over the API.",
    )

    @model_validator(mode="after")
    def _langflow_api_is_complete(self) -> FlowsSettings:
        if self.runner == "langflow" and not self.langflow_api_key:
            raise ValueError(
                "MI_FLOWS_RUNNER=langflow needs MI_LANGFLOW_API_KEY (a key of the Langflow server "
                f"at {self.langflow_url}, Settings > API Keys); set it, or set "
                "MI_FLOWS_RUNNER=in-process to run flows in the worker"
            )
        # A URL without the runner that uses it would be ignored without a word.
        if self.runner == "in-process" and "langflow_url" in self.model_fields_set:
            raise ValueError(
                "MI_LANGFLOW_URL is set but MI_FLOWS_RUNNER is in-process, so no flow would run "
                "there; set MI_FLOWS_RUNNER=langflow to run flows on that server, or unset "
                "MI_LANGFLOW_URL"
            )
        return self

    @property
    def on_langflow(self) -> bool:
        """Whether jobs' flows run on a Langflow server (else in the worker)."""
        return self.runner == "langflow"


class NodeSettings(SettingsGroup):
    """What URLs typed into nodes (ZeroDB URL, Pinecone index host) may reach (`MI_NODE_*`);
    see `marketing_intel.node_urls`."""

    model_config = SettingsConfigDict(env_prefix="MI_NODE_")

    url_allowed_networks: str = Field(
        "",
        description="Comma-separated networks (CIDRs) that URLs typed into nodes may reach "
        "although they are not public, over http too (e.g. 127.0.0.0/8 for local stand-ins); "
        "empty: nodes reach public https hosts only.",
    )

    @field_validator("url_allowed_networks")
    @classmethod
    def _networks_parse(cls, text: str) -> str:
        allowed_networks(text)
        return text

    @property
    def url_networks(self) -> list[IPNetwork]:
        """The networks of `url_allowed_networks`."""
        return allowed_networks(self.url_allowed_networks)


class AnalysisSettings(SettingsGroup):
    """What the analysis templates know of every tenant (`MI_MARKETS`)."""

    markets: str = Field(
        "",
        description="The markets whose public holidays the templates take into account, "
        "comma-separated ISO 3166-1 alpha-2 codes with an optional subdivision (US, GB-SCT); "
        "a template's `markets` option overrides it; empty: no holiday handling.",
    )

    @field_validator("markets")
    @classmethod
    def _markets_parse(cls, text: str) -> str:
        parse_markets(text)
        return text


# Settings' attribute -> the group read into it.
GROUPS: dict[str, type[SettingsGroup]] = {
    "lake": LakeSettings,
    "query": QuerySettings,
    "memory": MemorySettings,
    "brand_voice": BrandVoiceSettings,
    "cache": CacheSettings,
    "bridge": BridgeSettings,
    "jobs": JobsSettings,
    "flows": FlowsSettings,
    "nodes": NodeSettings,
    "analysis": AnalysisSettings,
}


class Settings(BaseModel):
    """All `MI_` settings, one group per layer. Use `load_settings()`, which reads them and
    turns mistakes into a `ConfigError`."""

    model_config = ConfigDict(frozen=True)

    home: Path
    lake: LakeSettings
    query: QuerySettings
    memory: MemorySettings
    brand_voice: BrandVoiceSettings
    cache: CacheSettings
    bridge: BridgeSettings
    jobs: JobsSettings
    flows: FlowsSettings
    nodes: NodeSettings
    analysis: AnalysisSettings

    # The embedded stores' files: each under `home` unless its own variable says otherwise.
    @property
    def lake_path(self) -> Path:
        """The embedded lake's DuckDB file."""
        return self.lake.duckdb_path or self.home / "lake.duckdb"

    @property
    def memory_file(self) -> Path:
        """The embedded memory's SQLite file."""
        return self.memory.path or self.home / "memory.sqlite"

    @property
    def local_vectors_path(self) -> Path:
        """The embedded vector file (sqlite-vec) shared by the embedded stores."""
        return self.brand_voice.vectors_path or self.home / "vectors.sqlite"

    @property
    def cache_path(self) -> Path:
        """The embedded insight cache's SQLite file."""
        return self.home / "insight_cache.sqlite3"


# What `load_settings` reads, by name: the home folder's group (`Settings.home`) and the layers'.
_READ: dict[str, type[SettingsGroup]] = {"home": HomeSettings, **GROUPS}


def setting_variables() -> dict[str, tuple[str, str]]:
    """Every `MI_` variable of the settings -> (the group that reads it: an attribute of
    `Settings`, or "home"; its field in the group)."""
    return {
        variable: (group, field)
        for group, model in _READ.items()
        for field, variable in model.variables().items()
    }


# An override's name is its variable's without `MI_`: `duckdb_path` for MI_DUCKDB_PATH.
_OVERRIDES = {
    variable.removeprefix("MI_").lower(): place for variable, place in setting_variables().items()
}


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, with `overrides` on top, e.g. from a node's inputs: each named as its
    `MI_` variable without the prefix (`duckdb_path=...` for MI_DUCKDB_PATH), None or "" meaning
    "not given". Raise a `ConfigError` that names each bad `MI_` variable."""
    given: dict[str, dict[str, Any]] = {group: {} for group in _READ}
    for name, value in overrides.items():
        if name not in _OVERRIDES:
            raise ConfigError(
                f"No setting {name!r}: a setting is named as its MI_ variable without the "
                "prefix (duckdb_path for MI_DUCKDB_PATH); .env.example lists them all."
            )
        if value not in (None, ""):
            group, field = _OVERRIDES[name]
            given[group][field] = value
    read: dict[str, Any] = {}
    problems: list[str] = []
    for group, model in _READ.items():
        try:
            read[group] = model(**given[group])
        except ValidationError as error:
            problems.extend(_named(model, error))
    if problems:
        raise ConfigError("Invalid settings. " + "; ".join(problems)) from None
    home = read.pop("home").home
    return Settings(home=home, **read)


def _named(model: type[SettingsGroup], error: ValidationError) -> list[str]:
    """Each problem of `error`, prefixed with the `MI_` variable it is about (when one is)."""
    variables = model.variables()
    by_alias = {variable.upper(): variable for variable in variables.values()}
    problems = []
    for item in error.errors():
        message = problem_text(item)
        where = str(item["loc"][0]) if item["loc"] else ""
        variable = variables.get(where) or by_alias.get(where.upper())
        problems.append(f"{variable}: {message}" if variable else message)
    return problems


# Settings by what they were read from; a handful of configurations per process at most.
_CURRENT: dict[tuple[Any, ...], Settings] = {}
_CURRENT_LOCK = threading.Lock()
_CURRENT_MAX = 64


def current_settings(**overrides: Any) -> Settings:
    """`load_settings(**overrides)`, read again only when the `MI_` environment, the working
    folder or its `.env` file changed: the Langflow nodes read their settings on every flow run,
    and parsing them costs about a millisecond each time. The result is shared (and frozen)."""
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
