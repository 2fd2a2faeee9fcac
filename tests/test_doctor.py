"""`mi doctor` against the real peers: the embedded defaults in a temporary home, PostgreSQL with
throwaway cache roles, the machine's Redis, the BigQuery emulator, the ZeroDB stand-in, needledb
for Pinecone, and engines that refuse or never answer. Secrets must never reach the output.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import socket
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from marketing_intel.cache.key import CacheKey
from marketing_intel.cache.postgres_cache import migrate_cache
from marketing_intel.cache.sqlite_cache import SQLiteInsightCache
from marketing_intel.cli import app
from marketing_intel.config import load_settings
from marketing_intel.doctor import DoctorReport, LayerReport, Status
from marketing_intel.embeddings import EmbedderIdentity
from marketing_intel.jobs.bullmq_queue import BullMQFlowRunQueue, BullMQOptions
from marketing_intel.jobs.models import FlowRunRequest
from marketing_intel.lake import DuckDBLake, open_lake
from marketing_intel.vectors import SqliteVecIndex, VectorRecord
from tests.bigquery_emulator import BigQueryEmulator
from tests.jobs_support import MACHINE_REDIS_URL, delete_prefix, free_port, unique_prefix
from tests.needledb_server import NeedleDB, needledb  # noqa: F401 (session fixture)
from tests.test_insight_cache_postgres import roles, schema  # noqa: F401 (fixtures)
from tests.zerodb_standin import API_KEY, PROJECT_ID, StandInZeroDB

LAYERS = ["lake", "memory", "brand voice", "cache", "bridge inbox", "jobs"]
PASSWORD = "doctor-must-never-print-this"


def doctor(*args: str) -> tuple[int, str]:
    """`mi doctor ...` in process: its exit code and everything it printed."""
    result = CliRunner().invoke(app, ["doctor", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def flat(text: str) -> str:
    """The tables' text without borders, one space between words (cells wrap their lines)."""
    borders = str.maketrans("", "", "│┌┐└┘├┤┬┴┼─")
    return " ".join(text.translate(borders).split())


def report(*args: str) -> tuple[int, DoctorReport]:
    """`mi doctor --json ...`: its exit code and the parsed report."""
    code, output = doctor("--json", *args)
    return code, DoctorReport.model_validate_json(output)


def layer(found: DoctorReport, name: str) -> LayerReport:
    return next(item for item in found.layers if item.layer == name)


def messages(found: LayerReport) -> str:
    return " ".join(problem.message for problem in found.problems)


def test_embedded_defaults_before_anything_exists_are_healthy_and_left_untouched(
    tmp_path: Path,
) -> None:
    code, found = report()
    assert code == 0
    assert [item.layer for item in found.layers] == LAYERS
    assert found.status == Status.OK
    for item in found.layers:
        assert not item.production, item
        assert item.status == Status.OK, item
    for name in ("lake", "memory", "brand voice", "cache", "bridge inbox"):
        assert layer(found, name).schema_version == "not created yet"
        assert layer(found, name).reachable is None
    assert layer(found, "jobs").engine == "in-process queue"
    assert not (tmp_path / ".mi").exists()  # doctor created nothing

    code, text = doctor()
    assert code == 0
    for name in LAYERS:
        assert f"{name}: " in text
    assert "embedded default" in text and "Overall: ok" in text


def test_embedded_stores_report_their_schema_rows_and_last_write(tmp_path: Path) -> None:
    settings = load_settings()
    updated = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    lake = DuckDBLake(settings.lake_path)
    lake.insert("campaign_metrics", [_metrics_row(updated)])
    lake.close()
    cache = SQLiteInsightCache(settings.cache_path)
    cache.put(CacheKey.of("acme", "campaign_insights", {"days": 28}, "w1"), {"report": 1})
    cache.close()
    memory = SqliteVecIndex(settings.memory_file, EmbedderIdentity("test-embedder", 3), "memory")
    memory.upsert("acme", [VectorRecord("m1", [1.0, 0.0, 0.0])])
    memory.close()
    added = CliRunner().invoke(
        app, ["sources", "add", "--platform", "standard", "--tenant", "acme"]
    )
    assert added.exit_code == 0, added.output

    code, found = report()
    assert code == 0, found
    lake_report = layer(found, "lake")
    assert lake_report.schema_version == "4 of 4 lake tables"
    assert lake_report.details["rows"] == 1
    assert lake_report.last_write == updated
    cache_report = layer(found, "cache")
    assert cache_report.schema_version == "1 of 1"
    assert cache_report.details["entries"] == 1
    assert cache_report.last_write is not None
    assert abs((dt.datetime.now(dt.UTC) - cache_report.last_write).total_seconds()) < 120
    memory_report = layer(found, "memory")
    assert memory_report.schema_version == "collection memory: test-embedder, 3 dimensions"
    assert memory_report.details == {"records": 1, "tenants": 1}
    assert layer(found, "brand voice").schema_version == "not created yet"  # its own file
    bridge = layer(found, "bridge inbox")
    assert bridge.schema_version == "4 of 4 bridge tables"
    assert bridge.secrets[0].source == f"generated key file {settings.home / 'bridge.key'}"

    (settings.home / "bridge.key").chmod(0o644)  # a key file others may read: a warning
    code, found = report()
    assert code == 0
    assert "chmod 600" in messages(layer(found, "bridge inbox"))
    assert layer(found, "bridge inbox").status == Status.WARNING
    assert report("--strict")[0] == 1


def _metrics_row(updated: dt.datetime) -> dict[str, object]:
    return {
        "tenant_id": "acme",
        "platform": "meta",
        "campaign_id": "c1",
        "campaign_name": "Launch",
        "date": dt.date(2026, 11, 30),
        "impressions": 1000,
        "clicks": 10,
        "conversions": 1,
        "spend": Decimal("12.50"),
        "revenue": Decimal("40.00"),
        "currency": "USD",
        "updated_at": updated,
    }


def with_password(url: str) -> str:
    """The URL with a password (trust authentication ignores it; doctor must not print it)."""
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def test_postgres_cache_with_a_runtime_role_that_owns_nothing_has_isolation_in_force(
    schema: str,  # noqa: F811
    roles: tuple[str, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner_url, runtime_url = roles
    migrate_cache(owner_url, runtime_url, schema)
    monkeypatch.setenv("MI_CACHE_BACKEND", "postgres")
    monkeypatch.setenv("MI_CACHE_SCHEMA", schema)
    monkeypatch.setenv("MI_CACHE_URL", with_password(runtime_url))
    code, found = report()
    cache = layer(found, "cache")
    assert code == 0, cache
    assert cache.production and cache.reachable and cache.engine.startswith("PostgreSQL 1")
    assert cache.schema_version == "2 of 2"
    assert cache.isolation_in_force is True, cache
    assert cache.status == Status.OK
    assert "not superuser, not BYPASSRLS and owns nothing" in cache.tenant_isolation
    assert [(s.setting, s.source) for s in cache.secrets] == [("MI_CACHE_URL", "environment")]

    # One role for everything (the usual first setup): it owns the table, so it could lift RLS.
    monkeypatch.setenv("MI_CACHE_URL", with_password(owner_url))
    code, text = doctor()
    assert code == 0 and PASSWORD not in text
    assert "could bypass tenant isolation" in flat(text)
    code, found = report("--strict")
    cache = layer(found, "cache")
    assert code == 1
    assert cache.isolation_in_force is False
    assert f"owns {schema}.insight_cache" in messages(cache)


def test_a_postgres_cache_never_migrated_says_how_to_set_it_up(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MI_CACHE_BACKEND", "postgres")
    monkeypatch.setenv("MI_CACHE_SCHEMA", f"mi_doctor_{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("MI_CACHE_URL", postgres_url)
    code, found = report()
    cache = layer(found, "cache")
    assert code == 0 and cache.status == Status.WARNING
    assert cache.schema_version == "not set up" and cache.isolation_in_force is False
    assert "run `mi cache migrate`" in messages(cache)
    with psycopg.connect(postgres_url) as connection:  # doctor migrated nothing
        exists = connection.execute(
            "SELECT to_regnamespace(%s) IS NOT NULL", (load_settings().cache.schema_name,)
        ).fetchone()
    assert exists == (False,)


@pytest.fixture
def jobs_prefix(machine_redis_url: str) -> Iterator[str]:
    """A BullMQ key prefix of this test's own on the machine's Redis, deleted afterwards."""
    name = unique_prefix()
    yield name
    delete_prefix(machine_redis_url, name)


def test_jobs_on_redis_report_the_server_the_queue_and_its_newest_event(
    jobs_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MI_REDIS_URL", MACHINE_REDIS_URL)
    monkeypatch.setenv("MI_JOBS_PREFIX", jobs_prefix)
    code, found = report()
    jobs = layer(found, "jobs")
    assert code == 0 and jobs.production and jobs.reachable
    assert jobs.engine.startswith("Redis ") and jobs.schema_version == "not created yet"

    async def enqueue() -> None:
        queue = BullMQFlowRunQueue(BullMQOptions(MACHINE_REDIS_URL, prefix=jobs_prefix))
        try:
            await queue.enqueue(
                FlowRunRequest.model_validate(
                    {"flow": "campaign-insights", "tenant_id": "acme", "idempotency_key": "k1"}
                )
            )
        finally:
            await queue.close()

    asyncio.run(enqueue())
    code, found = report()
    jobs = layer(found, "jobs")
    assert code == 0 and jobs.schema_version == "queue keys present"
    assert jobs.last_write is not None
    assert abs((dt.datetime.now(dt.UTC) - jobs.last_write).total_seconds()) < 60


def test_bigquery_lake_on_the_emulator_from_no_dataset_to_tables_with_rows(
    bigquery_emulator: BigQueryEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = f"doctor_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MI_LAKE_BACKEND", "bigquery")
    monkeypatch.setenv("MI_BIGQUERY_PROJECT", bigquery_emulator.project)
    monkeypatch.setenv("MI_BIGQUERY_API_ENDPOINT", bigquery_emulator.endpoint)
    monkeypatch.setenv("MI_LAKE_DATASET", dataset)
    code, found = report()
    lake = layer(found, "lake")
    assert code == 0 and lake.production and lake.reachable
    assert lake.status == Status.WARNING and "does not exist yet" in messages(lake)
    assert lake.secrets[0].source == "not needed: an emulator endpoint"

    opened = open_lake(load_settings())
    try:
        opened.apply_schema()
        opened.insert("campaign_metrics", [_metrics_row(dt.datetime.now(dt.UTC))])
    finally:
        opened.close()
    code, found = report()
    lake = layer(found, "lake")
    assert code == 0 and lake.status == Status.OK, lake
    assert lake.schema_version == "4 of 4 lake tables"
    assert lake.last_write is not None


def test_zerodb_memory_with_its_key_from_a_dotenv_file_and_with_a_wrong_key(
    zerodb_server: StandInZeroDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MI_MEMORY_BACKEND", "zerodb")
    monkeypatch.setenv("MI_ZERODB_BASE_URL", zerodb_server.url)
    monkeypatch.setenv("MI_ZERODB_PROJECT_ID", PROJECT_ID)
    (tmp_path / ".env").write_text(f"MI_ZERODB_API_KEY={API_KEY}\n")
    code, found = report()
    memory = layer(found, "memory")
    assert code == 0 and memory.production and memory.reachable and memory.status == Status.OK
    assert memory.secrets[0].source == ".env file .env"
    assert zerodb_server.requests[-1].headers["x-api-key"] == API_KEY  # it really asked

    wrong = "wrong-key-that-must-not-be-printed"
    monkeypatch.setenv("MI_ZERODB_API_KEY", wrong)
    code, text = doctor()
    assert code == 1 and wrong not in text and API_KEY not in text
    assert "check MI_ZERODB_API_KEY" in flat(text)
    assert report()[1].layers[1].secrets[0].source == "environment"


def test_pinecone_brand_voice_on_needledb_and_with_a_wrong_key(
    needledb: NeedleDB,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host = needledb.create_index(f"doctor-{uuid.uuid4().hex[:8]}", 384)
    monkeypatch.setenv("MI_BRAND_VOICE_BACKEND", "pinecone")
    monkeypatch.setenv("MI_PINECONE_INDEX_HOST", host)
    monkeypatch.setenv("MI_PINECONE_API_KEY", needledb.api_key)
    code, found = report()
    brand = layer(found, "brand voice")
    assert code == 0 and brand.reachable and brand.status == Status.OK, brand
    assert brand.schema_version == "384 dimensions" and brand.details["vectors"] == 0

    monkeypatch.setenv("MI_PINECONE_API_KEY", "wrong-pinecone-key")
    code, text = doctor()
    assert code == 1 and "wrong-pinecone-key" not in text and needledb.api_key not in text
    assert "check MI_PINECONE_API_KEY" in flat(text)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung server)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield int(server.getsockname()[1])


def test_unreachable_production_engines_exit_1_quickly_with_a_sentence_each(
    silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = free_port()
    timeout = 2.0
    for name, value in {
        "MI_LAKE_BACKEND": "bigquery",
        "MI_BIGQUERY_PROJECT": "nowhere",
        "MI_BIGQUERY_API_ENDPOINT": f"http://127.0.0.1:{closed}",
        "MI_MEMORY_BACKEND": "zerodb",
        "MI_ZERODB_BASE_URL": f"http://127.0.0.1:{silent_port}",
        "MI_ZERODB_API_KEY": PASSWORD,
        "MI_ZERODB_PROJECT_ID": "p1",
        "MI_BRAND_VOICE_BACKEND": "pinecone",
        "MI_PINECONE_API_KEY": PASSWORD,
        "MI_PINECONE_INDEX_HOST": f"http://127.0.0.1:{closed}",
        "MI_CACHE_BACKEND": "postgres",
        "MI_CACHE_URL": f"postgresql://app:{PASSWORD}@127.0.0.1:{closed}/cache",
        "MI_BRIDGE_DATABASE_URL": f"postgresql://app:{PASSWORD}@127.0.0.1:{silent_port}/bridge",
        "MI_BRIDGE_SECRET_KEY": "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=",
        "MI_REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:{silent_port}/0",
    }.items():
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    result = CliRunner().invoke(app, ["doctor", "--json", "--timeout", str(timeout)])
    took = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert PASSWORD not in result.output and "Traceback" not in result.output
    found = DoctorReport.model_validate_json(result.output)
    for item in found.layers:
        assert item.production and item.status == Status.ERROR, item
        assert item.reachable is False, item
        sentence = messages(item)
        assert "check" in sentence, sentence  # says what to do
        # Each check's own clock (imports excluded) stays within its deadline.
        assert item.elapsed_ms is not None and item.elapsed_ms < (timeout + 1.5) * 1000, item
    for name in ("memory", "bridge inbox", "jobs"):  # the silent server: a timeout each
        assert re.search(r"time(d)? ?out|did not answer", messages(layer(found, name)), re.I)
    for name in ("lake", "cache"):  # the closed port: refused at once
        assert "refused" in messages(layer(found, name)).lower()
    assert took < 60  # imports of every cloud client included, on a busy 2-core machine


def test_invalid_settings_exit_1_with_the_setting_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MI_LAKE_BACKEND", "bigquery")
    code, text = doctor()
    assert code == 1 and "MI_BIGQUERY_PROJECT" in text
    code, found = report()
    assert code == 1 and found.status == Status.ERROR and found.layers == []
    assert found.settings_error is not None and "MI_BIGQUERY_PROJECT" in found.settings_error


def test_the_names_doctor_keeps_to_stay_light_match_the_stores_own() -> None:
    """Doctor names a few constants itself rather than importing the stores (langchain,
    onnxruntime, the bridge): they must stay what the stores use."""
    from marketing_intel.brand_voice.local_index import COLLECTION as BRAND_VOICE_COLLECTION
    from marketing_intel.bridge.secret_box import KEY_FILE_NAME
    from marketing_intel.doctor import brand_voice_probe, inbox_probe, memory_probe
    from marketing_intel.memory.local_store import COLLECTION as MEMORY_COLLECTION

    assert memory_probe.COLLECTION == MEMORY_COLLECTION
    assert brand_voice_probe.COLLECTION == BRAND_VOICE_COLLECTION
    assert inbox_probe.KEY_FILE_NAME == KEY_FILE_NAME


def test_secret_sources_follow_the_settings_order_and_never_hold_a_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketing_intel.config import MemorySettings, SettingsGroup
    from marketing_intel.doctor.secret_sources import secret_source

    secrets = tmp_path / "run-secrets"
    secrets.mkdir()
    (secrets / "MI_ZERODB_API_KEY").write_text(PASSWORD)
    for group in (SettingsGroup, MemorySettings):  # a group's config is its own merged copy
        monkeypatch.setitem(group.model_config, "secrets_dir", str(secrets))
    assert load_settings(memory_backend="zerodb", zerodb_project_id="p").memory.zerodb_api_key
    found = secret_source("MI_ZERODB_API_KEY")
    assert found.source == f"secret file in {secrets}"
    (tmp_path / ".env").write_text(f"mi_zerodb_api_key={PASSWORD}\n")  # any case, as read
    assert secret_source("MI_ZERODB_API_KEY").source == ".env file .env"
    monkeypatch.setenv("MI_ZERODB_API_KEY", PASSWORD)
    assert secret_source("MI_ZERODB_API_KEY").source == "environment"
    assert secret_source("MI_PINECONE_API_KEY").source == "missing"
    assert PASSWORD not in found.model_dump_json()
