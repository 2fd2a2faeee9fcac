"""`mi brand-voice index` and `mi brand-voice score` on the embedded index of the test folder."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from marketing_intel.cli import app

runner = CliRunner()
VOICES = json.loads((Path(__file__).parent / "data" / "brand_voices.json").read_text())["brands"]
SPROUT = VOICES["sprout-and-co"]


def test_index_a_file_then_score_drafts(tmp_path: Path) -> None:
    copy = tmp_path / "sprout.txt"
    copy.write_text("\n".join(SPROUT["exemplars"]) + "\n\n", encoding="utf-8")
    args = ["brand-voice", "index", "--tenant", "acme", "--brand", "sprout", str(copy)]
    indexed = runner.invoke(app, args)
    assert indexed.exit_code == 0, indexed.output
    assert "Indexed 20 exemplars for acme/sprout" in indexed.output
    assert runner.invoke(app, args).exit_code == 0  # again: still 20, no duplicates

    score = ["brand-voice", "score", "--tenant", "acme", "--brand", "sprout"]
    scored = runner.invoke(app, [*score, "--json", SPROUT["on_brand"][1]])
    assert scored.exit_code == 0, scored.output
    result = json.loads(scored.stdout)
    assert result["exemplar_count"] == 20 and result["label"] == "on brand"
    assert len(result["nearest"]) == 3

    off = runner.invoke(app, [*score, SPROUT["off_brand"][2]])
    assert off.exit_code == 0, off.output
    assert off.stdout.startswith("Off brand")


def test_bad_input_is_one_sentence_and_exit_1(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    result = runner.invoke(
        app, ["brand-voice", "index", "--tenant", "acme", "--brand", "b", str(empty)]
    )
    assert result.exit_code == 1
    assert "holds no exemplars" in result.output and "Traceback" not in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"copy": ""}\n', encoding="utf-8")
    result = runner.invoke(
        app, ["brand-voice", "index", "--tenant", "acme", "--brand", "b", str(bad)]
    )
    assert result.exit_code == 1 and "line 2 has no text" in result.output
    result = runner.invoke(app, ["brand-voice", "score", "--tenant", "a b", "--brand", "b", "hi"])
    assert result.exit_code == 1 and "tenant" in result.output
