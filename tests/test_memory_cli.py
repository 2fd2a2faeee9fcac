"""`mi memory remember` and `mi memory recall` as people and scripts use them: the embedded store
by default, ZeroDB (our stand-in, `tests/zerodb_standin.py`) when the settings say so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketing_intel.cli import app
from tests.zerodb_standin import API_KEY, PROJECT_ID, StandInZeroDB

runner = CliRunner()


def remember(*args: str) -> str:
    result = runner.invoke(app, ["memory", "remember", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_remember_then_recall_as_json(tmp_path: Path) -> None:
    first = remember(
        "--tenant", "acme", "--tags", "meta", "--tags", "roas", "Meta ROAS halved in October"
    )
    file = tmp_path / "note.txt"
    file.write_text("The loyalty newsletter converts best on Sundays.", encoding="utf-8")
    second = remember("--tenant", "acme", "--kind", "insight", "--file", str(file))
    remember("--tenant", "globex", "Globex ROAS on Meta is confidential")
    assert len(first) == 32 and first != second
    assert (
        remember(
            "--tenant", "acme", "--tags", "meta", "--tags", "roas", "Meta ROAS halved in October"
        )
        == first
    )

    result = runner.invoke(
        app,
        [
            "memory",
            "recall",
            "--tenant",
            "acme",
            "--k",
            "2",
            "--json",
            "facebook return on ad spend",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["id"] for row in rows] == [first, second]
    assert rows[0]["tags"] == ["meta", "roas"] and rows[0]["tenant"] == "acme"
    assert (Path(".mi") / "memory.sqlite").is_file()


def test_recall_prints_a_table_and_filters_by_kind() -> None:
    remember("--tenant", "acme", "--kind", "insight", "Email revenue grew 12%")
    remember("--tenant", "acme", "Email is sent on Tuesdays")
    result = runner.invoke(
        app, ["memory", "recall", "--tenant", "acme", "--kind", "insight", "email"]
    )
    assert result.exit_code == 0, result.output
    assert "Email revenue grew 12%" in result.output
    assert "Tuesdays" not in result.output


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["remember", "--tenant", "acme"], "give the text to remember or --file"),
        (
            ["remember", "--tenant", "no spaces", "x"],
            "tenant id 'no spaces' is not valid; use 1-100 letters",
        ),
    ],
)
def test_mistakes_are_one_sentence(args: list[str], sentence: str) -> None:
    result = runner.invoke(app, ["memory", *args])
    assert result.exit_code == 1
    assert sentence in result.output
    assert "Traceback" not in result.output


def test_zerodb_from_the_settings(
    zerodb_server: StandInZeroDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MI_MEMORY_BACKEND", "zerodb")
    monkeypatch.setenv("MI_ZERODB_BASE_URL", zerodb_server.url)
    monkeypatch.setenv("MI_ZERODB_API_KEY", API_KEY)
    monkeypatch.setenv("MI_ZERODB_PROJECT_ID", PROJECT_ID)
    memory_id = remember("--tenant", "acme", "Budget moved to TikTok")
    assert list(zerodb_server.namespaces["mi-memory/acme"]) == [memory_id]
    assert not Path(".mi").exists()

    monkeypatch.delenv("MI_ZERODB_API_KEY")
    result = runner.invoke(app, ["memory", "recall", "--tenant", "acme", "budget"])
    assert result.exit_code == 1
    assert "MI_MEMORY_BACKEND=zerodb needs MI_ZERODB_API_KEY" in result.output
