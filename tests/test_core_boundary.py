"""The core never imports Langflow: ruff's banned imports (TID251) refuse lfx and langflow under
`marketing_intel/`, and allow them on the Langflow side (nodes, builders, runners, tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
RUFF = str(Path(sys.executable).with_name("ruff"))

IMPORTS = [
    "import lfx\n",
    "from lfx.load.load import aload_flow_from_json\n",
    "import langflow.main\n",
    # A lazy import inside a function is an import all the same.
    "def run() -> None:\n    from lfx.processing.process import run_graph\n",
]


def _banned_import_findings(source: str, file_name: str) -> str:
    """Ruff's TID251 findings for `source` as if it were the file `file_name` of this repo."""
    checked = subprocess.run(
        [RUFF, "check", "--select", "TID251", "--stdin-filename", file_name, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert checked.returncode in (0, 1), checked.stderr
    return checked.stdout if checked.returncode else ""


@pytest.mark.parametrize("source", IMPORTS)
def test_the_core_may_not_import_langflow(source: str) -> None:
    findings = _banned_import_findings(source, "marketing_intel/jobs/new_module.py")
    assert "TID251" in findings, f"ruff let the core import Langflow:\n{source}"


@pytest.mark.parametrize(
    "file_name",
    [
        "components/marketing_intel/new_node.py",
        "flow_runners/new_runner.py",
        "starter_projects/new_builder.py",
        "bench/new_bench.py",
        "tests/test_new.py",
    ],
)
def test_the_langflow_side_may_import_lfx(file_name: str) -> None:
    assert _banned_import_findings(IMPORTS[1], file_name) == ""


def test_the_core_holds_no_langflow_import_today() -> None:
    checked = subprocess.run(
        [RUFF, "check", "--select", "TID251", "marketing_intel"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
