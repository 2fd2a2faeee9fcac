"""Settings: embedded by default, production engines complete or refused at start-up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marketing_intel.config import (
    ConfigError,
    current_settings,
    load_settings,
    setting_variables,
)
from marketing_intel.lake import DuckDBLake, LakeConfigError, open_lake


def test_with_nothing_set_the_lake_is_embedded_under_dot_mi() -> None:
    settings = load_settings()
    lake = open_lake(settings)
    assert isinstance(lake, DuckDBLake)
    assert lake.path == (Path.cwd() / ".mi" / "lake.duckdb").resolve()


def test_settings_come_from_mi_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MI_DUCKDB_PATH", str(tmp_path / "other.duckdb"))
    monkeypatch.setenv("MI_QUERY_ROW_LIMIT", "50")
    settings = load_settings()
    assert settings.lake_path == tmp_path / "other.duckdb"
    assert settings.query.row_limit == 50


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"MI_LAKE_BACKEND": "bigquery"}, "MI_BIGQUERY_PROJECT"),
        ({"MI_LAKE_BACKEND": "snowflake"}, "MI_LAKE_BACKEND"),
        ({"MI_QUERY_ROW_LIMIT": "0"}, "MI_QUERY_ROW_LIMIT"),
    ],
)
def test_a_bad_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], named: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_a_production_lake_never_falls_back_to_the_embedded_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MI_LAKE_BACKEND", "bigquery")
    monkeypatch.setenv("MI_BIGQUERY_PROJECT", "acme-prod")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", str(Path.cwd()))  # no gcloud application-default login here
    with pytest.raises(LakeConfigError, match="No BigQuery credentials"):
        open_lake(load_settings())


def test_a_malformed_credentials_secret_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MI_LAKE_BACKEND", "bigquery")
    monkeypatch.setenv("MI_BIGQUERY_PROJECT", "acme-prod")
    monkeypatch.setenv("MI_BIGQUERY_CREDENTIALS_JSON", '{"type": "service_account"}')
    with pytest.raises(LakeConfigError, match="not a service-account key"):
        open_lake(load_settings())


def test_current_settings_are_read_again_only_when_their_sources_change(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = current_settings()
    assert current_settings() is first  # a flow run reuses them
    assert current_settings(memory_backend="local") is not first  # other overrides
    monkeypatch.setenv("MI_QUERY_ROW_LIMIT", "50")
    assert current_settings().query.row_limit == 50
    (tmp_path / ".env").write_text("MI_QUERY_ROW_LIMIT=70\n")
    monkeypatch.delenv("MI_QUERY_ROW_LIMIT")
    assert current_settings().query.row_limit == 70
    (tmp_path / ".env").write_text("MI_QUERY_ROW_LIMIT=many\n")
    with pytest.raises(ConfigError, match="MI_QUERY_ROW_LIMIT"):
        current_settings()


def test_a_bad_setting_given_by_name_is_named_by_its_variable() -> None:
    """Overrides (a node's inputs) are named as the variables are, and so are their errors,
    whichever group reads them."""
    with pytest.raises(ConfigError, match="MI_ZERODB_MAX_ATTEMPTS") as raised:
        load_settings(zerodb_max_attempts=0, bridge_flush_batch_size=0)
    assert "MI_BRIDGE_FLUSH_BATCH_SIZE" in str(raised.value)  # every problem, not the first
    with pytest.raises(ConfigError, match="No setting 'lake_engine'"):
        load_settings(lake_engine="duckdb")


def test_settings_are_grouped_per_layer_under_their_flat_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MI_LAKE_BACKEND", "bigquery")
    monkeypatch.setenv("MI_BIGQUERY_PROJECT", "acme-prod")
    monkeypatch.setenv("MI_CACHE_SCHEMA", "reports")
    monkeypatch.setenv("MI_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("MI_FLOWS_PATH", "elsewhere")
    settings = load_settings(jobs_concurrency=4)
    assert (settings.lake.backend, settings.lake.bigquery_project) == ("bigquery", "acme-prod")
    assert settings.cache.schema_name == "reports"
    assert settings.jobs.redis_url is not None and settings.jobs.concurrency == 4
    assert settings.flows.path == Path("elsewhere")


def test_env_example_lists_exactly_the_settings() -> None:
    """Every `MI_` variable the settings read is documented in .env.example, and nothing there
    is a variable the settings do not know (a renamed or removed one)."""
    example = Path(__file__).parents[1] / ".env.example"
    documented = set(re.findall(r"^#? ?(MI_[A-Z0-9_]+)=", example.read_text(), re.MULTILINE))
    variables = set(setting_variables())
    assert variables - documented == set(), "missing from .env.example"
    # MI_TEST_DATABASE_URL is the tests' PostgreSQL, not a setting of the product.
    assert documented - variables == {"MI_TEST_DATABASE_URL"}, "unknown in .env.example"
