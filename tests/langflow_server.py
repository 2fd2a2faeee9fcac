"""A real Langflow server for the tests and the flows benchmark, started once per session.

`start_langflow` builds this checkout's wheel and puts its bundle root (`lfx_marketing_intel`,
exactly as the wheel ships it, starter projects included) first on the server's PYTHONPATH, so
Langflow discovers our bundle through its `lfx.bundles` entry point the way it does for a user who
installed the package: our nodes at `@official`, our flows in the templates gallery. (Nodes from
`LANGFLOW_COMPONENTS_PATH` are `@extra` bundles, from which Langflow 1.13 loads no starter
projects.) The core package `marketing_intel` comes from the editable install, the same code.

The server runs `langflow run` on 127.0.0.1 and a free port, with the frontend (the browser test
uses it), its own config dir and SQLite database, the flows of `flows/` loaded into the user's
project (`LANGFLOW_LOAD_FLOWS_PATH`, as `langflow.env` does), a seeded demo lake, an embedded
vector file the tests seed (`vectors_path`), and an API key
created headless (auto-login token, then `POST /api/v1/api_key/`).

`langflow_dev_server` serves the bundle as `make run` does instead (`langflow.env`): our nodes
from `LANGFLOW_COMPONENTS_PATH=components` (an `@extra` bundle, no templates gallery), the same
flows loaded into the project.

`start_langflow(..., profile="runtime")` starts the server through our launcher
(flow_runners/langflow_launcher.py) as `make runtime` does: the profile's files under the
settings above (tests/test_langflow_runtime.py, the flows benchmark).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
import pytest

from marketing_intel.analysis import InsightReport, Window, run_template
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.flows import ANALYSIS_FLOWS, WindowChoice
from marketing_intel.flows.run_api import report_from_answer, run_request
from marketing_intel.lake import DuckDBLake
from tests.lake_pair import assert_same

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
BUNDLE_ROOT_PACKAGE = "lfx_marketing_intel"
START_DEADLINE_S = 300.0  # 50-60 s on an idle machine; a busy CI runner is slower
STOP_TIMEOUT_S = 20.0
LOG_TAIL_LINES = 60
DEMO_TENANTS = 2
DEMO_DAYS = 45
LAUNCHER = "flow_runners.langflow_launcher"
# How the server finds our nodes: the built wheel's bundle (as a user who installed the package),
# or this checkout's components/ folder (as `make run`).
BundleSource = Literal["wheel", "components"]
# How the server is started: plain `langflow run` with the settings below, or our launcher
# (flow_runners/langflow_launcher.py) with a profile's files under them (`make run`, `runtime`).
Profile = Literal["editor", "runtime"]


class LangflowStartError(RuntimeError):
    """The server did not come up; the message carries its log's tail."""


@dataclass(frozen=True)
class LangflowServer:
    """A running Langflow: its URL, an API key, its demo lake and log."""

    url: str
    api_key: str
    lake_path: Path
    reference_lake_path: Path  # a copy of the lake for the tests (the server keeps its file open)
    data_end: dt.date
    log_path: Path
    pid: int

    @property
    def vectors_path(self) -> Path:
        """The server's embedded vector file (brand voice, memory): seed it from a test."""
        return self.lake_path.parent / "vectors.sqlite"

    def client(self, timeout: float = 300.0) -> httpx.Client:
        """An HTTP client for the server that sends the API key."""
        return httpx.Client(base_url=self.url, headers={"x-api-key": self.api_key}, timeout=timeout)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last `lines` lines of the server's log."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _uv() -> list[str]:
    """uv: `$UV` (set by `uv run`), `uv` on PATH, else the one installed for python3 (Makefile)."""
    if os.environ.get("UV"):
        return [os.environ["UV"]]
    if found := shutil.which("uv"):
        return [found]
    return [shutil.which("python3") or "python3", "-m", "uv"]


def bundle_root(workdir: Path) -> Path:
    """Build the wheel and unpack its bundle root package into `workdir`/bundle; return that."""
    dist = workdir / "dist"
    built = subprocess.run(
        [*_uv(), "build", "--wheel", "--quiet", "--out-dir", str(dist), str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if built.returncode != 0:
        raise LangflowStartError(f"uv build failed: {built.stderr[-2000:]}")
    root = workdir / "bundle"
    with zipfile.ZipFile(next(dist.glob("*.whl"))) as wheel:
        members = [n for n in wheel.namelist() if n.startswith(f"{BUNDLE_ROOT_PACKAGE}/")]
        wheel.extractall(root, members)
    return root


def seed_demo_lake(path: Path) -> dt.date:
    """Demo data through yesterday (UTC) in a DuckDB lake at `path`; returns its last day."""
    last_day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    lake = DuckDBLake(path)
    seed_lake(lake, DemoSpec(end_date=last_day, tenants=DEMO_TENANTS, days=DEMO_DAYS))
    lake.close()  # the server opens the file in its own process
    return last_day


def _environment(workdir: Path, bundle: Path | None, lake_path: Path) -> dict[str, str]:
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LANGFLOW_", "LFX_", "MI_")) and key != "PYTHONPATH"
    }
    config = workdir / "config"
    nodes = (
        {"PYTHONPATH": str(bundle)}
        if bundle
        else {"LANGFLOW_COMPONENTS_PATH": str(REPO_ROOT / "components")}
    )
    return {
        **inherited,
        **nodes,
        "PYTHONUNBUFFERED": "1",
        "LANGFLOW_CONFIG_DIR": str(config),
        "LANGFLOW_DATABASE_URL": f"sqlite:///{config / 'langflow.db'}",
        "LANGFLOW_LOAD_FLOWS_PATH": str(REPO_ROOT / "flows"),
        "LANGFLOW_AUTO_LOGIN": "true",
        "LANGFLOW_SKIP_AUTH_AUTO_LOGIN": "false",
        "LANGFLOW_TWEAKS_POLICY": "declared",
        "LANGFLOW_DO_NOT_TRACK": "true",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "MI_DUCKDB_PATH": str(lake_path),
        "MI_VECTORS_PATH": str(lake_path.parent / "vectors.sqlite"),
    }


def start_langflow(
    workdir: Path, nodes_from: BundleSource = "wheel", profile: Profile | None = None
) -> tuple[subprocess.Popen[bytes], LangflowServer]:
    """Start Langflow in `workdir` with our nodes from the built wheel or from `components/`,
    through our launcher with `profile` if one is given (this file's settings win over the
    profile's), wait until it serves; the caller stops it (`stop_langflow`)."""
    bundle = bundle_root(workdir) if nodes_from == "wheel" else None
    lake_path = workdir / "lake.duckdb"
    data_end = seed_demo_lake(lake_path)
    reference = workdir / "reference.duckdb"
    shutil.copyfile(lake_path, reference)
    port = _free_port()
    url = f"http://{HOST}:{port}"
    log_path = workdir / "langflow.log"
    start = (
        [str(Path(sys.executable).with_name("langflow")), "run"]
        if profile is None
        else [sys.executable, "-m", LAUNCHER, "--profile", profile, "--env-dir", str(REPO_ROOT)]
    )
    command = [*start, "--host", HOST, "--port", str(port), "--workers", "1"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # writes to the log file, never to a pipe that could fill
            command,
            cwd=workdir,
            env=_environment(workdir, bundle, lake_path),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LangflowServer(url, "", lake_path, reference, data_end, log_path, process.pid)
    try:
        _wait_until_ready(process, server)
        api_key = _create_api_key(url)
    except BaseException:
        stop_langflow(process)
        raise
    return process, LangflowServer(
        url, api_key, lake_path, reference, data_end, log_path, process.pid
    )


def _wait_until_ready(process: subprocess.Popen[bytes], server: LangflowServer) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while True:
        if process.poll() is not None:
            raise LangflowStartError(
                f"Langflow exited with code {process.returncode} while starting:\n"
                + server.log_tail()
            )
        try:
            if httpx.get(f"{server.url}/health_check", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise LangflowStartError(
                f"Langflow did not answer at {server.url} within {START_DEADLINE_S:.0f} s:\n"
                + server.log_tail()
            )
        time.sleep(1)


def _create_api_key(url: str) -> str:
    """The supported headless way: the auto-login user's token creates an API key."""
    with httpx.Client(base_url=url, timeout=60) as client:
        login = client.get("/api/v1/auto_login")
        login.raise_for_status()
        token = login.json()["access_token"]
        created = client.post(
            "/api/v1/api_key/",
            json={"name": "tests"},
            headers={"Authorization": f"Bearer {token}"},
        )
        created.raise_for_status()
        return str(created.json()["api_key"])


def stop_langflow(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers (its own process group): SIGTERM, then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def langflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LangflowServer]:
    """One Langflow server with the wheel's bundle for the whole session, stopped after."""
    yield from served(tmp_path_factory.mktemp("langflow"), "wheel")


@pytest.fixture(scope="session")
def langflow_dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LangflowServer]:
    """One Langflow server as `make run` serves our nodes (through our launcher's editor
    profile), for the whole session."""
    yield from served(tmp_path_factory.mktemp("langflow-dev"), "components", "editor")


def served(
    workdir: Path, nodes_from: BundleSource, profile: Profile | None = None
) -> Iterator[LangflowServer]:
    """A server for a fixture's scope: started in `workdir`, stopped when the fixture ends."""
    try:
        process, server = start_langflow(workdir, nodes_from, profile)
    except LangflowStartError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        stop_langflow(process)


def assert_report_matches_direct(
    server: LangflowServer, answer: dict[str, object], template: str, window: Window
) -> InsightReport:
    """The report in a run API `answer` for demo-2 equals `run_template` on the server's
    reference copy of its lake, at the same `now`; returned for further checks."""
    report = report_from_answer(answer)
    lake = DuckDBLake(server.reference_lake_path)
    try:
        direct = run_template(template, lake, "demo-2", window, now=report.generated_at)
    finally:
        lake.close()
    # demo-2's campaigns are steady, so its campaign report may lead with no finding; its table
    # still holds every campaign, and the comparison below covers both.
    assert report.insights or report.table, "the demo data should give a report with content"
    assert_same(report.model_dump(mode="json"), direct.model_dump(mode="json"))
    return report


def assert_undeclared_tweak_refused(api: httpx.Client) -> None:
    """A tweak of a field the flow does not declare editable is refused (422), field named."""
    spec = ANALYSIS_FLOWS["roi-optimization"]
    body = run_request(spec, "demo-1", WindowChoice(days=7))
    body["tweaks"]["ChatOutput-report"] = {"sender_name": "someone else"}
    response = api.post(f"/api/v1/run/{spec.endpoint}", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "TWEAKS_REFUSED"
    assert response.json()["detail"]["fields"] == ["sender_name"]
