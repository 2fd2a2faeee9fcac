"""The launcher's profiles (flow_runners/langflow_launcher.py) without a server: which settings
each profile gives Langflow, that the environment wins over the files, and the error for a
missing file. tests/test_langflow_runtime.py starts a real runtime server."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from flow_runners.langflow_launcher import ProfileError, apply_profile, profile_environment
from tests.langflow_server import REPO_ROOT

RUN_LOGS_OFF = {
    "LANGFLOW_BACKEND_ONLY": "true",
    "LANGFLOW_TRANSACTIONS_STORAGE_ENABLED": "false",
    "LANGFLOW_VERTEX_BUILDS_STORAGE_ENABLED": "false",
    "LANGFLOW_DEACTIVATE_TRACING": "true",
}


def test_the_runtime_profile_turns_off_the_run_logs_and_keeps_the_editors_settings() -> None:
    runtime = profile_environment("runtime", REPO_ROOT)
    editor = profile_environment("editor", REPO_ROOT)
    assert RUN_LOGS_OFF.items() <= runtime.items()
    assert not RUN_LOGS_OFF.keys() & editor.keys()
    kept = ("LANGFLOW_COMPONENTS_PATH", "LANGFLOW_LOAD_FLOWS_PATH", "LANGFLOW_TWEAKS_POLICY")
    assert {key: runtime[key] for key in kept} == {key: editor[key] for key in kept}
    assert runtime["LANGFLOW_TWEAKS_POLICY"] == "declared"


def test_the_environment_wins_over_the_files(monkeypatch: pytest.MonkeyPatch) -> None:
    # A copy, so the profile's variables do not leak into the other tests of this process.
    monkeypatch.setattr(os, "environ", dict(os.environ))
    monkeypatch.setenv("LANGFLOW_DEACTIVATE_TRACING", "false")
    monkeypatch.delenv("LANGFLOW_BACKEND_ONLY", raising=False)
    seen = apply_profile("runtime", REPO_ROOT)
    assert seen["LANGFLOW_DEACTIVATE_TRACING"] == "false"
    assert seen["LANGFLOW_BACKEND_ONLY"] == "true"


def test_a_later_file_overrides_an_earlier_one(tmp_path: Path) -> None:
    (tmp_path / "langflow.env").write_text("LANGFLOW_BACKEND_ONLY=false\nLANGFLOW_X=1\n")
    (tmp_path / "langflow.runtime.env").write_text("LANGFLOW_BACKEND_ONLY=true\n")
    assert profile_environment("runtime", tmp_path) == {
        "LANGFLOW_BACKEND_ONLY": "true",
        "LANGFLOW_X": "1",
    }


def test_a_missing_profile_file_says_where_to_run_from(tmp_path: Path) -> None:
    (tmp_path / "langflow.env").write_text("LANGFLOW_X=1\n")
    expected = "langflow.runtime.env; run from the repository's root"
    with pytest.raises(ProfileError, match=re.escape(expected)):
        profile_environment("runtime", tmp_path)
