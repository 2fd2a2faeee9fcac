"""Settings: embedded by default, production engines complete or refused at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketing_intel.config import ConfigError, current_settings, load_settings
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
    assert settings.query_row_limit == 50


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
    assert current_settings().query_row_limit == 50
    (tmp_path / ".env").write_text("MI_QUERY_ROW_LIMIT=70\n")
    monkeypatch.delenv("MI_QUERY_ROW_LIMIT")
    assert current_settings().query_row_limit == 70
    (tmp_path / ".env").write_text("MI_QUERY_ROW_LIMIT=many\n")
    with pytest.raises(ConfigError, match="MI_QUERY_ROW_LIMIT"):
        current_settings()
