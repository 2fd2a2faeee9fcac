"""The packaged bundle in a real Langflow: build the wheel, install it, ask Langflow what it sees.

Development runs the nodes from `components/` through `LANGFLOW_COMPONENTS_PATH` (`@extra`);
users get them from the wheel, whose `lfx.bundles` entry point and hatchling force-includes
turn `components/` into the package `lfx_marketing_intel` and `flows/` into the bundle's
`starter_projects`. Only a real wheel in a clean venv proves that path, so this module:

1. builds the wheel from this checkout (`uv build --wheel`);
2. installs `langflow==1.13.*` plus the wheel into a throwaway venv, with the project's lock
   exported as constraints (about 15 s with a warm uv cache; a few minutes cold);
3. runs `tests/packaging_probe.py` in that venv, from a scratch directory and without
   `LANGFLOW_COMPONENTS_PATH`: it calls Langflow's own `get_and_cache_all_types_dict` (the code
   behind `GET /api/v1/all`) and its starter-project loader (what fills
   `GET /api/v1/flows/basic_examples/`);
4. validates the bundle: the `LoadResult` of Langflow's manifest-less `lfx.bundles` loader must
   carry no errors and no warnings, and `lfx extension validate --execute-imports` must accept the
   installed bundle once a manifest is supplied (without one it only reports
   `manifest-not-found`: that validator is for manifest bundles).

The build and install happen once per module; the whole module takes about a minute warm.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(900)

REPO_ROOT = Path(__file__).resolve().parents[1]
PROBE_SCRIPT = Path(__file__).resolve().with_name("packaging_probe.py")
BUNDLE = "marketing_intel"
ROOT_PACKAGE = "lfx_marketing_intel"
NODE_KEY = f"ext:{BUNDLE}:BigQueryQueryComponent@official"
NODE_INPUTS = {"sql", "tenant_id", "parameters"}
PYTHON_VERSION = "3.11"
LANGFLOW_REQUIREMENT = "langflow==1.13.*"
TAIL_LINES = 60


@functools.cache
def _uv_command() -> tuple[str, ...]:
    """How to call uv: `$UV` (set by `uv run`), `uv` on PATH, else `python -m uv`."""
    if os.environ.get("UV") and Path(os.environ["UV"]).is_file():
        return (os.environ["UV"],)
    if found := shutil.which("uv"):
        return (found,)
    for python in (sys.executable, shutil.which("python3"), shutil.which("python")):
        if (
            python
            and subprocess.run(
                [python, "-m", "uv", "--version"], capture_output=True, check=False
            ).returncode
            == 0
        ):
            return (python, "-m", "uv")
    pytest.fail("uv is needed to build and install the wheel: `python3 -m pip install uv`")


def _uv(*args: str) -> list[str]:
    """A uv command line."""
    return [*_uv_command(), *args]


def _tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last `lines` lines of `text`, for assertion messages."""
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(kept) if kept else "<empty>"


def _explain(process: subprocess.CompletedProcess[str], context: str = "") -> str:
    """A failure message with the command and the tails of its stdout and stderr."""
    return (
        f"{context}\n$ {' '.join(map(str, process.args))}\n(exit {process.returncode})\n"
        f"--- stdout (tail) ---\n{_tail(process.stdout)}\n"
        f"--- stderr (tail) ---\n{_tail(process.stderr)}"
    )


def _run(
    command: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; with `check`, fail the test with the output's tail."""
    try:
        process = subprocess.run(
            [str(part) for part in command],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        stdout = error.stdout.decode() if isinstance(error.stdout, bytes) else error.stdout or ""
        stderr = error.stderr.decode() if isinstance(error.stderr, bytes) else error.stderr or ""
        pytest.fail(
            f"Timed out after {timeout:.0f} s: {' '.join(map(str, command))}\n"
            f"--- stdout (tail) ---\n{_tail(stdout)}\n--- stderr (tail) ---\n{_tail(stderr)}"
        )
    if check and process.returncode != 0:
        pytest.fail(_explain(process, "Command failed"))
    return process


def _rounded(timings: Mapping[str, float]) -> str:
    """Timings as compact JSON, to 0.1 s."""
    return json.dumps({name: round(seconds, 1) for name, seconds in timings.items()})


def _json_output(process: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON a command printed, or a test failure showing what it printed instead."""
    try:
        parsed = json.loads(process.stdout)
    except json.JSONDecodeError:
        pytest.fail(_explain(process, "Expected JSON on stdout"))
    assert isinstance(parsed, dict), _explain(process, "Expected a JSON object")
    return parsed


def _clean_env(**overrides: str) -> dict[str, str]:
    """The environment minus anything that could make the repo's code or settings leak in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LANGFLOW_", "LFX_", "MI_"))
        and key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    }
    env.update(overrides)
    return env


def _flow_files() -> list[str]:
    """Names of the flow JSONs in `flows/` (they become the bundle's starter projects)."""
    flows = REPO_ROOT / "flows"
    return sorted(path.name for path in flows.glob("*.json")) if flows.is_dir() else []


def _repo_component_classes() -> set[str]:
    """Top-level classes in the repo's bundle folder whose base looks like a Component."""
    classes: set[str] = set()
    for path in (REPO_ROOT / "components" / BUNDLE).rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {
                base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
                for base in node.bases
            }
            if any(base.endswith("Component") for base in bases):
                classes.add(node.name)
    return classes


@dataclass
class PackagedLangflow:
    """A throwaway venv holding Langflow and the freshly built wheel."""

    root: Path
    wheel: Path
    venv_python: Path
    package_dir: Path
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def bin_dir(self) -> Path:
        """The venv's scripts directory."""
        return self.venv_python.parent

    def env(self, **overrides: str) -> dict[str, str]:
        """A clean environment for the venv: own config and cache dirs, no dev settings."""
        return _clean_env(
            LANGFLOW_CONFIG_DIR=str(self.root / "langflow-config"),
            XDG_CACHE_HOME=str(self.root / "xdg-cache"),
            LANGFLOW_DO_NOT_TRACK="true",
            LITELLM_LOCAL_MODEL_COST_MAP="True",
            PATH=f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            **overrides,
        )


@dataclass
class ProbeRun:
    """The probe's JSON report plus its console output (shown when an assertion fails)."""

    report: dict[str, Any]
    process: subprocess.CompletedProcess[str]

    def explain(self, message: str) -> str:
        """`message` with the report and the probe's output tail."""
        return f"{message}\n--- probe report ---\n{json.dumps(self.report, indent=1)}\n" + _explain(
            self.process, "Probe output"
        )


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> PackagedLangflow:
    """Build the wheel and install it with Langflow into a throwaway venv (once per module)."""
    root = tmp_path_factory.mktemp("packaging")
    timings: dict[str, float] = {}
    started = time.perf_counter()

    dist = root / "dist"
    _run(_uv("build", "--wheel", "--out-dir", str(dist), str(REPO_ROOT)), cwd=root, timeout=300)
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {dist}, found {wheels}"
    timings["build_s"] = time.perf_counter() - started

    # The lock pins every transitive version, so uv resolves from its cache in seconds
    # and the venv matches the project's (an unconstrained resolve takes ~40 s of index queries).
    constraints = root / "constraints.txt"
    export = _run(
        _uv(
            "export",
            "--frozen",
            "--no-hashes",
            "--no-emit-project",
            "--all-extras",
            "--no-dev",
            "--quiet",
            "--project",
            str(REPO_ROOT),
        ),
        cwd=root,
    )
    constraints.write_text(export.stdout, encoding="utf-8")

    mark = time.perf_counter()
    venv = root / "venv"
    _run(_uv("venv", "--quiet", "--python", PYTHON_VERSION, str(venv)), cwd=root, timeout=300)
    venv_python = venv / "bin" / "python"
    _run(
        _uv(
            "pip",
            "install",
            "--python",
            str(venv_python),
            "--constraint",
            str(constraints),
            LANGFLOW_REQUIREMENT,
            str(wheels[0]),
        ),
        cwd=root,
        timeout=900,
    )
    timings["install_s"] = time.perf_counter() - mark

    located = _run(
        [venv_python, "-c", f"import {ROOT_PACKAGE}; print(list({ROOT_PACKAGE}.__path__)[0])"],
        cwd=root,
        env=_clean_env(),
    )
    package_dir = Path(located.stdout.strip())
    assert package_dir.is_relative_to(venv), (
        f"{ROOT_PACKAGE} must come from the throwaway venv, not {package_dir}"
    )
    timings["build_and_install_s"] = time.perf_counter() - started
    print(f"\npackaging timings: {_rounded(timings)}")
    return PackagedLangflow(root, wheels[0], venv_python, package_dir, timings)


@pytest.fixture(scope="module")
def probe(packaged: PackagedLangflow) -> ProbeRun:
    """Run Langflow's own discovery and starter-project loading in the throwaway venv."""
    scratch = packaged.root / "probe"
    scratch.mkdir()
    # A copy, run from a scratch dir: nothing of the checkout is on the probe's sys.path.
    script = scratch / PROBE_SCRIPT.name
    shutil.copyfile(PROBE_SCRIPT, script)
    out = scratch / "report.json"
    mark = time.perf_counter()
    process = _run(
        [packaged.venv_python, script, out],
        cwd=scratch,
        env=packaged.env(),
        timeout=600,
        check=False,
    )
    packaged.timings["discovery_s"] = time.perf_counter() - mark
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    run = ProbeRun(report, process)
    assert process.returncode == 0, run.explain("The probe failed")
    assert "crash" not in report, run.explain("The probe crashed")
    return run


def test_wheel_holds_bundle_core_package_and_entry_point(packaged: PackagedLangflow) -> None:
    """The wheel maps components/ and flows/ into the bundle root and declares `lfx.bundles`."""
    with zipfile.ZipFile(packaged.wheel) as wheel:
        names = set(wheel.namelist())
        entry_points_name = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = wheel.read(entry_points_name).decode()

    expected = {
        f"{ROOT_PACKAGE}/__init__.py",
        f"{ROOT_PACKAGE}/{BUNDLE}/__init__.py",
        f"{ROOT_PACKAGE}/{BUNDLE}/bigquery_query.py",
        "marketing_intel/__init__.py",
        # The worker's Langflow runners, outside the core.
        "flow_runners/__init__.py",
        *(f"{ROOT_PACKAGE}/{BUNDLE}/starter_projects/{name}" for name in _flow_files()),
    }
    assert expected <= names, f"missing from the wheel: {sorted(expected - names)}"
    assert "[lfx.bundles]" in entry_points
    assert f"{ROOT_PACKAGE} = {ROOT_PACKAGE}" in entry_points, entry_points
    assert not any(name.startswith("components/") for name in names), "components/ leaked as is"

    # Langflow loads a manifest-less bundle's starters from `<bundle dir>/starter_projects`:
    # flows/ must land exactly there (checked statically too, for when flows/ is still empty).
    force_include = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"
    ]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert force_include.get("flows") == f"{ROOT_PACKAGE}/{BUNDLE}/starter_projects"
    assert force_include.get("components") == ROOT_PACKAGE


def test_api_all_lists_the_installed_bundle(packaged: PackagedLangflow, probe: ProbeRun) -> None:
    """`/api/v1/all`'s discovery lists every node of ours once, from the installed wheel."""
    report = probe.report
    nodes: dict[str, dict[str, Any]] = report["bundle_nodes"]
    assert NODE_KEY in nodes, probe.explain(f"{NODE_KEY} is not listed under {BUNDLE!r}")
    assert report["categories_with_bundle_nodes"] == [BUNDLE], probe.explain(
        "our nodes must appear in exactly one palette category"
    )
    assert all(key.startswith(f"ext:{BUNDLE}:") and key.endswith("@official") for key in nodes), (
        probe.explain("every node must come from the installed (@official) bundle, none @extra")
    )
    expected_keys = {f"ext:{BUNDLE}:{name}@official" for name in _repo_component_classes()}
    unlisted = sorted(expected_keys - set(nodes))
    assert not unlisted, probe.explain(f"nodes in components/{BUNDLE} not listed: {unlisted}")

    version = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    node = nodes[NODE_KEY]
    assert node["display_name"] == "BigQuery Query", probe.explain("display name")
    assert node["name"] == "BigQueryQuery", probe.explain("legacy name (saved flows' node type)")
    assert node["namespaced_id"] == NODE_KEY
    assert node["bundle"] == BUNDLE
    assert (node["extension"], node["extension_version"]) == ("lfx-marketing-intel", version)
    assert node["module"] == f"_lfx_ext.official.{BUNDLE}.bigquery_query", probe.explain("module")
    assert set(node["template_fields"]) >= NODE_INPUTS, probe.explain("node inputs missing")
    assert set(node["outputs"]) >= {"rows", "statistics"}, probe.explain("node outputs missing")

    registry = report["registry_record"]
    assert registry is not None, probe.explain("the bundle is not in Langflow's bundle registry")
    assert registry["slot"] == "official", probe.explain("registry slot")
    assert registry["manifestless"], probe.explain("registry: manifest-less")
    assert Path(registry["source_path"]) == packaged.package_dir / BUNDLE, probe.explain(
        "the registered bundle must be the installed package's folder"
    )


def test_node_core_imports_come_from_the_wheel(packaged: PackagedLangflow, probe: ProbeRun) -> None:
    """The core modules the nodes import lazily (inside methods), and the private helpers beside
    them, import from the wheel."""
    imports: dict[str, str | None] = probe.report["core_imports"]
    assert imports, probe.explain("the bundle imports nothing from marketing_intel?")
    helpers = {module for module in imports if module.startswith(f"{ROOT_PACKAGE}.{BUNDLE}._")}
    assert helpers, probe.explain("the nodes import none of the bundle's private helpers?")
    site_packages = packaged.package_dir.parent
    bad = {
        module: origin
        for module, origin in imports.items()
        if not origin or not Path(origin).is_relative_to(site_packages)
    }
    assert not bad, probe.explain(f"core modules that did not import from the wheel: {bad}")


def test_starter_projects_are_wired(packaged: PackagedLangflow, probe: ProbeRun) -> None:
    """flows/*.json reach Langflow's starter projects (what `/flows/basic_examples/` serves)."""
    starters = probe.report["starter_projects"]
    starter_dir = packaged.package_dir / BUNDLE / "starter_projects"
    ours_loaded = sorted(
        Path(path).name for path in starters["bundle_loaded"] if Path(path).parent == starter_dir
    )
    ours_available = sorted(
        Path(item["path"]).name
        for item in starters["bundle_available"]
        if Path(item["path"]).parent == starter_dir
    )
    flows = _flow_files()
    assert starters["langflow_loaded"] > 0, probe.explain("Langflow loaded no starter projects")
    if flows:
        assert probe.report["starter_projects_dir_exists"], probe.explain(f"{starter_dir} missing")
        assert ours_loaded == flows, probe.explain(f"flows/ {flows} vs loaded {ours_loaded}")
        assert ours_available == flows, probe.explain(
            "Langflow skips starter projects whose node types it cannot resolve: "
            f"flows/ {flows} vs kept {ours_available}"
        )
    else:
        # A wheel cannot hold an empty directory: with no flow yet there is no folder to load
        # (unless flows/ holds a placeholder such as .gitkeep), which Langflow treats as
        # "no starters": its glob of a missing folder yields nothing.
        assert starters["bundle_loaded"] == [], probe.explain("unexpected starter projects")
        shipped = [n for n in probe.report["bundle_files"] if n.endswith(".json")]
        assert shipped == [], probe.explain("flow JSONs shipped that flows/ does not hold")


def test_langflow_loads_the_bundle_without_errors_or_warnings(probe: ProbeRun) -> None:
    """The manifest-less validator: Langflow's own `lfx.bundles` load result is clean."""
    results = [r for r in probe.report["lfx_bundles_results"] if r["bundle"] == BUNDLE]
    assert len(results) == 1, probe.explain(f"expected one {BUNDLE!r} load result")
    result = results[0]
    assert result["errors"] == [], probe.explain("bundle load errors")
    assert result["warnings"] == [], probe.explain("bundle load warnings")
    assert (result["slot"], result["manifestless"]) == ("official", True)
    assert NODE_KEY in result["components"], probe.explain("loader did not register the node")
    # A malformed entry point shows up as a sentinel without a bundle name.
    sentinels = [r for r in probe.report["lfx_bundles_results"] if not r["bundle"]]
    assert sentinels == [], probe.explain("lfx.bundles entry point problems")


def test_lfx_extension_validate(packaged: PackagedLangflow) -> None:
    """`lfx extension validate`: manifest-only, so it rejects the bare package; with a manifest
    written next to a copy of the installed bundle it passes, imports included."""
    lfx = packaged.bin_dir / "lfx"
    bare = _run(
        [lfx, "extension", "validate", "--format", "json", packaged.package_dir],
        cwd=packaged.root,
        env=packaged.env(),
        check=False,
    )
    bare_report = _json_output(bare)
    assert [e["code"] for e in bare_report["errors"]] == ["manifest-not-found"], _explain(bare)

    version = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    root = packaged.root / "validate" / ROOT_PACKAGE
    shutil.copytree(packaged.package_dir, root, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = {
        "id": "lfx-marketing-intel",
        "version": version,
        "name": "Marketing Intel",
        "lfx": {"compat": ["1"]},
        "bundles": [{"name": BUNDLE, "path": BUNDLE}],
    }
    (root / "extension.json").write_text(json.dumps(manifest), encoding="utf-8")
    mark = time.perf_counter()
    checked = _run(
        [lfx, "extension", "validate", "--format", "json", "--execute-imports", root],
        cwd=packaged.root,
        env=packaged.env(),
        check=False,
    )
    packaged.timings["validate_s"] = time.perf_counter() - mark
    checked_report = _json_output(checked)
    assert checked.returncode == 0, _explain(checked)
    assert checked_report["ok"], _explain(checked)
    assert checked_report["errors"] == [], _explain(checked)
    assert checked_report["warnings"] == [], _explain(checked)
    assert checked_report["bundle_files_scanned"] >= 2, _explain(checked)
    print(f"\npackaging timings: {_rounded(packaged.timings)}")
