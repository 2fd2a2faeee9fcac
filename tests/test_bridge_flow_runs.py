"""Flow triggers and insight reads of the bridge, end to end on real parts.

FastAPI's TestClient runs the real app (lifespan included, so the in-process queue's worker runs
inside it) over the embedded SQLite bridge database, a small seeded DuckDB demo lake, the
embedded insight cache and the exported `flows/campaign-insights.json` run with lfx. The BullMQ
tests use the machine's Redis with a key prefix of their own; the outage test points
`MI_REDIS_URL` at a port nothing listens on.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from bridge_api import create_app
from marketing_intel.analysis import InsightReport, Window, run_template
from marketing_intel.bridge import open_bridge
from marketing_intel.cache import InsightCacheHandle, shared_cache
from marketing_intel.config import Settings, load_settings
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.jobs.results import report_summary
from marketing_intel.lake import DuckDBLake
from marketing_intel.report_page import report_html
from marketing_intel.shared_instances import close_shared
from tests.bridge_support import REPO, postgres_database
from tests.jobs_support import MACHINE_REDIS_URL, delete_prefix, free_port, unique_prefix
from tests.recording_listener import RecordingListener


def today() -> dt.date:
    """Today (UTC) when asked, not at import: a run that crosses midnight compares like days."""
    return dt.datetime.now(dt.UTC).date()


RUNS = "/v1/flows/campaign-insights/runs"
TEMPLATE_NODE = "AnalysisTemplate-template"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A seeded demo lake (tenants demo-1, demo-2) and settings the flows' nodes read too (the
    nodes load their settings from the environment, as in a Langflow server)."""
    home = tmp_path / ".mi"
    home.mkdir()
    lake = DuckDBLake(home / "lake.duckdb")
    seed_lake(lake, DemoSpec(end_date=today(), tenants=2, days=30, scale=0.02, campaigns=3))
    lake.close()
    for name, value in {
        "MI_HOME": str(home),
        "MI_FLOWS_PATH": str(REPO / "flows"),
        "MI_BRIDGE_FLUSH_IN_PROCESS": "false",
        "MI_JOBS_BACKOFF_MS": "100",
        "LANGFLOW_DO_NOT_TRACK": "true",
    }.items():
        monkeypatch.setenv(name, value)
    yield load_settings()
    close_shared()


def keys(settings: Settings) -> dict[str, dict[str, str]]:
    """Authorization headers of a key of demo-1, of demo-2 and of an operator."""
    bridge = open_bridge(settings)
    try:
        made = {
            "demo-1": bridge.api_keys.create("demo-1")[1],
            "demo-2": bridge.api_keys.create("demo-2")[1],
            "admin": bridge.api_keys.create(None)[1],
        }
    finally:
        bridge.close()
    return {name: {"authorization": f"Bearer {key}"} for name, key in made.items()}


def client_for(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)


def wait_finished(client: TestClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    """The run's status once it completed or failed."""
    deadline = time.monotonic() + 150
    while True:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["state"] in ("completed", "failed"):
            return body
        assert time.monotonic() < deadline, f"run still {body['state']}"
        time.sleep(0.2)


def moment(text: str) -> dt.datetime:
    """An ISO time as JSON writes it (Z or +00:00)."""
    return dt.datetime.fromisoformat(text)


def without_time(summary: dict[str, Any]) -> dict[str, Any]:
    """A report summary without the moment it was generated."""
    return {name: value for name, value in summary.items() if name != "generated_at"}


def test_a_triggered_run_completes_in_process_and_its_report_is_read_from_the_cache(
    settings: Settings,
) -> None:
    headers = keys(settings)
    body = {"window": {"days": 14}, "idempotency_key": "weekly-1"}
    with client_for(settings) as client:
        first = client.post(RUNS, json=body, headers=headers["demo-1"])
        again = client.post(RUNS, json=body, headers=headers["demo-1"])
        assert first.status_code == 202, first.text
        assert again.status_code == 202
        accepted = first.json()
        assert accepted["run_id"] == again.json()["run_id"] == "demo-1.weekly-1"
        assert accepted["status_url"] == f"{RUNS}/demo-1.weekly-1"

        done = wait_finished(client, accepted["status_url"], headers["demo-1"])
        other_tenant = client.get(accepted["status_url"], headers=headers["demo-2"])
        cached = client.get(done["report_url"], headers=headers["demo-1"])
        not_theirs = client.get(done["report_url"], headers=headers["demo-2"])
        metrics = client.get("/metrics").text

    assert done["state"] == "completed", done["failed_reason"]
    assert done["attempts_made"] == 1  # the second POST added no run
    window = Window.last_days(14, today=today())
    lake = DuckDBLake(settings.lake_path)
    expected = run_template("campaign_insights", lake, "demo-1", window, {})
    lake.close()
    summary = done["result"]["summary"]
    assert without_time(summary) == without_time(report_summary(expected))
    assert done["report_url"] == (
        f"/v1/insights/campaign_insights?start={window.start}&end={window.end}"
    )
    assert other_tenant.status_code == 404
    assert other_tenant.json()["error"]["code"] == "unknown_run"

    assert cached.status_code == 200, cached.text
    insight = cached.json()
    assert insight["source"] == "cache"
    assert insight["report"]["tenant_id"] == "demo-1"
    assert moment(insight["report"]["generated_at"]) == moment(summary["generated_at"])
    stored_at = dt.datetime.fromisoformat(insight["stored_at"])
    expires_at = dt.datetime.fromisoformat(insight["expires_at"])
    assert expires_at - stored_at == dt.timedelta(seconds=600)  # the flow's cache node TTL
    assert insight["age_seconds"] >= 0
    assert moment(insight["data_watermark"]) == moment(summary["data_watermark"])
    assert not_theirs.status_code == 404
    assert not_theirs.json()["error"]["code"] == "not_cached"

    assert (
        'mi_bridge_flow_runs_triggered_total{flow="campaign-insights",outcome="accepted"} 2.0'
        in metrics
    )
    assert 'mi_flow_run_duration_seconds_count{flow="campaign-insights",outcome="completed"}' in (
        metrics
    )


def test_insights_miss_compute_hit_and_the_template_nodes_cached_path(settings: Settings) -> None:
    from components.marketing_intel.analysis_templates import CampaignInsightsComponent

    headers = keys(settings)
    with client_for(settings) as client:
        miss = client.get("/v1/insights/campaign_insights?days=7", headers=headers["demo-2"])
        computed = client.get(
            "/v1/insights/campaign_insights?days=7&compute=true", headers=headers["demo-2"]
        )
        hit = client.get("/v1/insights/campaign_insights?days=7", headers=headers["demo-2"])

        # A report the template node stores through its cache input is what the endpoint finds.
        handle = InsightCacheHandle(shared_cache(settings), 300)
        node = CampaignInsightsComponent(tenant_id="demo-1", days=10, insight_cache=handle)
        from_node = node.build_report().data
        start = (today() - dt.timedelta(days=9)).isoformat()
        by_dates = client.get(
            f"/v1/insights/campaign_insights?start={start}&end={today()}", headers=headers["demo-1"]
        )
        metrics = client.get("/metrics").text

    assert miss.status_code == 404
    message = miss.json()["error"]["message"]
    assert miss.json()["error"]["code"] == "not_cached"
    assert "POST /v1/flows/campaign-insights/runs" in message
    assert "compute=true" in message
    assert computed.status_code == 200, computed.text
    assert computed.json()["source"] == "computed"
    assert computed.json()["report"]["tenant_id"] == "demo-2"
    assert hit.status_code == 200
    assert hit.json()["source"] == "cache"
    assert hit.json()["report"] == computed.json()["report"]

    assert by_dates.status_code == 200, by_dates.text
    assert by_dates.json()["source"] == "cache"
    assert by_dates.json()["report"] == from_node
    stored_at = dt.datetime.fromisoformat(by_dates.json()["stored_at"])
    assert dt.datetime.fromisoformat(by_dates.json()["expires_at"]) - stored_at == (
        dt.timedelta(seconds=300)
    )
    for outcome, count in (("miss", 1), ("computed", 1), ("hit", 2)):
        line = f'mi_bridge_insight_reads_total{{outcome="{outcome}",template="campaign_insights"}}'
        assert f"{line} {count:.1f}" in metrics


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("post", "/v1/flows/no-such-flow/runs", {}, 404, "unknown_flow"),
        ("post", RUNS, {"window": {"days": 0}}, 422, "invalid_request"),
        ("post", RUNS, {"window": {"start": "2026-11-10", "end": "2026-11-01"}}, 422, None),
        ("post", RUNS, {"window": {"start": "2026-11-10"}}, 422, "invalid_window"),
        ("post", RUNS, {"window": {"days": 7, "start": "2026-11-01", "end": "2026-11-02"}}, 422,
         "invalid_window"),
        ("post", RUNS, {"window": {"start": "2026-13-01", "end": "2026-13-02"}}, 422,
         "invalid_window"),
        ("post", RUNS, {"window": {"days": 7}, "parameters": {"inputs": {"days": 3}}}, 422,
         "invalid_window"),
        ("post", RUNS, {"tenant_id": "demo-2"}, 422, "invalid_request"),
        ("post", RUNS, {"idempotency_key": "a/b"}, 422, "invalid_request"),
        ("post", RUNS, {"parameters": {"inputs": {"no_such_field": 1}}}, 422, "bad_parameters"),
        ("post", RUNS, {"parameters": {"tweaks": {TEMPLATE_NODE: {"tenant_id": "x"}}}}, 422,
         "bad_parameters"),
        ("get", f"{RUNS}/demo-1.never-started", None, 404, "unknown_run"),
        ("get", "/v1/insights/no_such_template?days=7", None, 404, "unknown_template"),
        ("get", "/v1/insights/campaign_insights?days=0", None, 422, "invalid_request"),
        ("get", "/v1/insights/campaign_insights?start=2026-11-10", None, 422, "invalid_window"),
    ],
)  # fmt: skip
def test_bad_requests_get_a_clear_json_error(
    settings: Settings, method: str, path: str, body: Any, status: int, code: str | None
) -> None:
    headers = keys(settings)
    with client_for(settings) as client:
        answer = client.request(method, path, json=body, headers=headers["demo-1"])
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    if path.startswith("/v1/flows/no-such"):
        assert "campaign-insights" in error["message"]  # it lists the flows there are


def test_runs_and_insights_need_a_tenants_api_key(settings: Settings) -> None:
    headers = keys(settings)
    with client_for(settings) as client:
        anonymous = client.post(RUNS, json={})
        wrong = client.post(RUNS, json={}, headers={"authorization": "Bearer mi_x_y"})
        operator = client.get("/v1/insights/campaign_insights", headers=headers["admin"])
    assert [anonymous.status_code, wrong.status_code, operator.status_code] == [401, 401, 403]
    assert operator.json()["error"]["code"] == "tenant_key_required"


def test_an_insight_read_can_be_the_reports_page_for_the_keys_tenant_only(
    settings: Settings,
) -> None:
    """`format=html` answers the report's page (as `mi analyze --html` writes it) with the same
    tenant key: demo-2's key reads demo-2's page and never demo-1's cached report."""
    headers = keys(settings)
    url = "/v1/insights/campaign_insights?days=7"
    with client_for(settings) as client:
        as_json = client.get(f"{url}&compute=true", headers=headers["demo-1"])
        page = client.get(f"{url}&format=html", headers=headers["demo-1"])
        other_miss = client.get(f"{url}&format=html", headers=headers["demo-2"])
        other = client.get(f"{url}&format=html&compute=true", headers=headers["demo-2"])
        anonymous = client.get(f"{url}&format=html")
        operator = client.get(f"{url}&format=html", headers=headers["admin"])
        bad_format = client.get(f"{url}&format=pdf", headers=headers["demo-1"])

    assert as_json.status_code == 200, as_json.text
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.text == report_html(InsightReport.model_validate(as_json.json()["report"]))
    assert "Tenant <strong>demo-1</strong>" in page.text
    # demo-1's page is cached, yet demo-2's key finds nothing until its own report exists.
    assert other_miss.status_code == 404
    assert other_miss.json()["error"]["code"] == "not_cached"
    assert other.status_code == 200, other.text
    assert "Tenant <strong>demo-2</strong>" in other.text
    assert "demo-1" not in other.text
    assert [anonymous.status_code, operator.status_code] == [401, 403]
    assert bad_format.status_code == 422


@pytest.fixture
def redis_prefix(machine_redis_url: str) -> Iterator[str]:
    prefix = unique_prefix()
    yield prefix
    delete_prefix(MACHINE_REDIS_URL, prefix)


def test_on_bullmq_a_key_names_one_run_per_tenant(settings: Settings, redis_prefix: str) -> None:
    import redis

    redis_settings = load_settings(redis_url=MACHINE_REDIS_URL, jobs_prefix=redis_prefix)
    headers = keys(redis_settings)
    body = {"window": {"days": 7}, "idempotency_key": "nightly"}
    with client_for(redis_settings) as client:
        answers = [client.post(RUNS, json=body, headers=headers["demo-1"]) for _ in range(2)]
        answers.append(client.post(RUNS, json=body, headers=headers["demo-2"]))
        conflict = client.post(
            RUNS, json={**body, "window": {"days": 8}}, headers=headers["demo-1"]
        )
        mine = client.get(f"{RUNS}/demo-1.nightly", headers=headers["demo-1"])
        theirs = client.get(f"{RUNS}/demo-1.nightly", headers=headers["demo-2"])

    assert [answer.status_code for answer in answers] == [202, 202, 202]
    ids = [answer.json()["run_id"] for answer in answers]
    assert ids == ["demo-1.nightly", "demo-1.nightly", "demo-2.nightly"]
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_conflict"
    assert mine.status_code == 200
    assert mine.json()["state"] == "waiting"  # no worker runs here: `mi worker` would
    assert theirs.status_code == 404
    # The backend's BullMQ clients see the same jobs: exactly two, with the job data they read.
    client = redis.Redis.from_url(MACHINE_REDIS_URL)
    try:
        waiting = client.lrange(f"{redis_prefix}:flow-runs:wait", 0, -1)
        data = client.hget(f"{redis_prefix}:flow-runs:demo-1.nightly", "data")
    finally:
        client.close()
    assert sorted(waiting) == [b"demo-1.nightly", b"demo-2.nightly"]
    assert data is not None
    assert b'"tenant_id":"demo-1"' in data.replace(b" ", b"")
    assert b'"days":7' in data.replace(b" ", b"")


def test_an_unreachable_queue_is_a_503_with_retry_after(settings: Settings) -> None:
    down = load_settings(redis_url=f"redis://127.0.0.1:{free_port()}/0", jobs_prefix="mi-down")
    headers = keys(down)
    with client_for(down) as client:
        start = client.post(RUNS, json={"window": {"days": 7}}, headers=headers["demo-1"])
        status = client.get(f"{RUNS}/demo-1.anything", headers=headers["demo-1"])
        metrics = client.get("/metrics").text
    for answer in (start, status):
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "5"
        assert answer.json()["error"]["code"] == "queue_unavailable"
        assert "MI_REDIS_URL" in answer.json()["error"]["message"]
    assert (
        'mi_bridge_flow_runs_triggered_total{flow="campaign-insights",'
        'outcome="queue_unavailable"} 1.0' in metrics
    )


def test_the_openapi_spec_shows_the_new_routes_with_examples(settings: Settings) -> None:
    with client_for(settings) as client:
        spec = client.get("/openapi.json").json()
    assert {"post"} <= set(spec["paths"]["/v1/flows/{name}/runs"])
    assert "202" in spec["paths"]["/v1/flows/{name}/runs"]["post"]["responses"]
    assert "503" in spec["paths"]["/v1/flows/{name}/runs"]["post"]["responses"]
    assert "/v1/flows/{name}/runs/{run_id}" in spec["paths"]
    assert "/v1/insights/{template}" in spec["paths"]
    examples = spec["components"]["schemas"]["FlowRunIn"]["examples"]
    assert examples[0]["window"] == {"days": 28}


def test_replay_ids_out_of_int64_are_a_422_not_a_server_error(settings: Settings) -> None:
    headers = keys(settings)
    with client_for(settings) as client:
        answer = client.post(
            "/v1/admin/inbox/replay", json={"ids": [-(2**81), 2**70]}, headers=headers["admin"]
        )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_request"


# The server's own ZeroDB key: no run of a tenant may send it anywhere the tenant chooses.
SERVER_ZERODB_KEY = "server-zerodb-key-for-no-tenant"


@pytest.mark.parametrize("where", ["tweaks", "inputs"])
def test_no_run_can_send_the_servers_zerodb_key_to_a_listener_the_tenant_chose(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Issue 17, finding 1: the tweak that pointed the memory node at a tenant's listener."""
    monkeypatch.setenv("MI_ZERODB_API_KEY", SERVER_ZERODB_KEY)
    monkeypatch.setenv("MI_ZERODB_PROJECT_ID", "server-project")
    headers = keys(settings)
    with RecordingListener().running() as listener, client_for(load_settings()) as client:
        fields = {"engine": "ZeroDB", "base_url": listener.url}
        parameters = (
            {"tweaks": {"ZeroDBMemoryStore-memory": fields}}
            if where == "tweaks"
            else {"inputs": fields}
        )
        answer = client.post(RUNS, json={"parameters": parameters}, headers=headers["demo-1"])
        if answer.status_code == 202:  # accepted (the old behaviour): let the run play out
            wait_finished(client, answer.json()["status_url"], headers["demo-1"])
    assert listener.received == []
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "bad_parameters"
    assert "'engine'" in error["message"] and "'base_url'" in error["message"]


def test_no_run_can_point_the_cache_at_a_database_the_tenant_chose(
    settings: Settings, postgres_url: str
) -> None:
    """Issue 17, finding 1: the tweak that made the server create tables in another database."""
    headers = keys(settings)
    with postgres_database(postgres_url, "mi_tenant_choice") as chosen:
        tweaks = {"InsightCache-cache": {"engine": "PostgreSQL", "url": chosen, "schema": "x"}}
        with client_for(settings) as client:
            answer = client.post(
                RUNS, json={"parameters": {"tweaks": tweaks}}, headers=headers["demo-1"]
            )
            if answer.status_code == 202:  # accepted (the old behaviour): let the run play out
                wait_finished(client, answer.json()["status_url"], headers["demo-1"])
        with psycopg.connect(chosen) as connection:
            created = connection.execute(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name = 'x'"
            ).fetchall()
    assert created == []
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "bad_parameters"
    for field in ("engine", "url", "schema"):
        assert f"'{field}'" in error["message"]
