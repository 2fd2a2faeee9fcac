"""`mi query` and `mi lake load` as people and scripts use them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from marketing_intel.cli import app

runner = CliRunner()

CSV_HEADER = (
    "tenant_id,platform,campaign_id,campaign_name,date,impressions,clicks,conversions,"
    "spend,revenue,currency,updated_at\n"
)


def _csv(path: Path, *lines: str) -> Path:
    path.write_text(CSV_HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


GOOD = "demo-1,meta,c1,Spring,2026-01-0{d},1000,20,2,10.50,31.25,USD,2026-01-10T00:00:00Z"


def test_load_then_query_as_json(tmp_path: Path) -> None:
    file = _csv(tmp_path / "m.csv", *(GOOD.format(d=d) for d in (1, 2, 3)))
    loaded = runner.invoke(app, ["lake", "load", "campaign_metrics", str(file)])
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded 3 new rows" in loaded.output
    again = runner.invoke(app, ["lake", "load", "campaign_metrics", str(file)])
    assert "Loaded 0 new rows" in again.output
    assert "skipped 3" in again.output
    restated = _csv(tmp_path / "r.csv", GOOD.format(d=2).replace("10.50", "11.00"))
    replaced = runner.invoke(app, ["lake", "load", "--replace", "campaign_metrics", str(restated)])
    assert "Loaded 0 new rows into campaign_metrics, replaced 1" in replaced.output

    sql = "SELECT date, spend FROM campaign_metrics WHERE date >= @since ORDER BY date"
    result = runner.invoke(
        app, ["query", "--tenant", "demo-1", "--param", "since=2026-01-02", "--json", sql]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"date": "2026-01-02", "spend": "11.000000000"},
        {"date": "2026-01-03", "spend": "10.500000000"},
    ]
    other = runner.invoke(app, ["query", "--tenant", "demo-2", "--json", sql.split(" WHERE")[0]])
    assert json.loads(other.stdout) == []


def test_a_bad_file_names_its_lines_and_loads_nothing(tmp_path: Path) -> None:
    file = _csv(
        tmp_path / "m.csv",
        GOOD.format(d=1),
        "demo-1,meta,c1,Spring,2026-13-01,1000,20,2,10.50,31.25,USD,2026-01-10T00:00:00Z",
        "demo-1,meta,c2,Spring,2026-01-01,many,20,2,10.50,31.25,USD,2026-01-10T00:00:00Z",
    )
    result = runner.invoke(app, ["lake", "load", "campaign_metrics", str(file)])
    assert result.exit_code == 1
    assert "row 3: date:" in result.stderr
    assert "row 4: impressions: expected a whole number" in result.stderr
    assert "nothing was loaded" in result.stderr
    count = runner.invoke(
        app, ["query", "--tenant", "demo-1", "--json", "SELECT COUNT(*) AS n FROM campaign_metrics"]
    )
    assert json.loads(count.stdout) == [{"n": 0}]


def test_jsonl_and_parquet_load(tmp_path: Path) -> None:
    row = dict(zip(CSV_HEADER.strip().split(","), GOOD.format(d=1).split(","), strict=True))
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text(json.dumps(row) + "\n\n" + "{broken\n", encoding="utf-8")
    bad = runner.invoke(app, ["lake", "load", "campaign_metrics", str(jsonl)])
    assert bad.exit_code == 1 and "row 3: not valid JSON" in bad.stderr

    jsonl.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert (
        "Loaded 1 new rows"
        in runner.invoke(app, ["lake", "load", "campaign_metrics", str(jsonl)]).output
    )

    parquet = tmp_path / "m.parquet"
    pq.write_table(pa.Table.from_pylist([{**row, "date": "2026-01-02", "spend": "1.5"}]), parquet)
    result = runner.invoke(app, ["lake", "load", "campaign_metrics", str(parquet)])
    assert "Loaded 1 new rows" in result.output, result.output


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--tenant", "demo-1", "SELECT * FROM read_csv('/etc/passwd')"], "`read_csv` is not"),
        (["--tenant", "demo-1", "DELETE FROM campaign_metrics WHERE TRUE"], "`DELETE` is not"),
        (["--tenant", "", "SELECT 1"], "one tenant"),
        (["--tenant", "demo-1", "--param", "n:INT64=x", "SELECT @n"], "expected a whole number"),
    ],
)
def test_a_refused_query_exits_non_zero_with_the_reason(args: list[str], reason: str) -> None:
    result = runner.invoke(app, ["query", *args])
    assert result.exit_code == 1
    assert reason in result.stderr
    assert "Traceback" not in result.output


def test_unknown_table_and_file_type_are_explained(tmp_path: Path) -> None:
    file = tmp_path / "x.xlsx"
    file.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["lake", "load", "campaign_metrics", str(file)])
    assert result.exit_code == 1 and "use .csv, .jsonl" in result.stderr
    result = runner.invoke(app, ["lake", "load", "orders", str(file)])
    assert result.exit_code == 1 and "`orders` is not a lake table" in result.stderr


def test_a_misconfigured_production_lake_stops_with_the_setting_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MI_LAKE_BACKEND", "bigquery")
    result = runner.invoke(app, ["query", "--tenant", "demo-1", "SELECT 1"])
    assert result.exit_code == 1
    assert "MI_BIGQUERY_PROJECT" in result.stderr


def test_the_console_script_is_installed() -> None:
    mi = shutil.which("mi") or str(Path(__file__).parents[1] / ".venv" / "bin" / "mi")
    result = subprocess.run(
        [mi, "query", "--tenant", "demo-1", "--json", "SELECT 1 + 1 AS two"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"two": 2}]


def test_demo_seed_fills_every_table_once() -> None:
    args = ["demo", "seed", "--tenants", "1", "--days", "7", "--end-date", "2026-11-26"]
    seeded = runner.invoke(app, args)
    assert seeded.exit_code == 0, seeded.output
    counts = {
        line.split(":")[0]: int(line.split(":")[1].split()[0])
        for line in seeded.stdout.splitlines()
        if line.endswith(" rows")
    }
    assert set(counts) == {
        "campaign_metrics",
        "audience_insights",
        "platform_events",
        "integration_raw_data",
    }
    assert all(n > 0 for n in counts.values())
    skipped = runner.invoke(app, [*args, "--if-empty"])
    assert "already has data" in skipped.stdout
    again = runner.invoke(app, args)  # keyed inserts: the same data adds nothing
    assert all(line.endswith(": 0 rows") for line in again.stdout.splitlines())
    tenants = runner.invoke(
        app, ["query", "--tenant", "demo-1", "--json", "SELECT COUNT(*) AS n FROM campaign_metrics"]
    )
    assert json.loads(tenants.stdout)[0]["n"] == counts["campaign_metrics"]


def test_help_imports_no_sub_command_module() -> None:
    """`mi --help` lists every group from its registered help line, importing none of them."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from marketing_intel.cli import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in sys.modules if m.endswith('.commands') or m.split('.')[0] in "
        "('sqlalchemy', 'bullmq', 'langchain_core', 'duckdb', 'fastapi')]\n"
        "print(heavy)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert shown.stdout.strip().splitlines()[-1] == "[]", shown.stdout[-2000:]
    for name in ("memory", "brand-voice", "inbox", "flows", "jobs", "worker"):
        assert name in shown.stdout


def test_lazy_commands_help_matches_the_loaded_commands() -> None:
    """Each lazily loaded group imports, and its line in `mi --help` is its own help."""
    import typer

    from marketing_intel.cli import MiCommands

    group = typer.main.get_command(app)
    assert isinstance(group, MiCommands)
    for name, lazy in MiCommands.lazy_commands.items():
        loaded = lazy.load(name)
        assert loaded.get_short_help_str(limit=300) == lazy.help, name


def test_a_wide_report_table_shows_the_columns_that_fit_and_names_the_rest() -> None:
    from marketing_intel.cli import _cell, _columns_that_fit

    rows = [{"campaign": "Brand Search | CA #4", "spend": 1227.891, "roas": 0.012345, "x": None}]
    assert _columns_that_fit(["campaign", "spend", "roas", "x"], rows, 80) == [
        "campaign",
        "spend",
        "roas",
        "x",
    ]
    assert _columns_that_fit(["campaign", "spend", "roas", "x"], rows, 40) == ["campaign", "spend"]
    assert _columns_that_fit(["campaign", "spend"], rows, 5) == ["campaign"]  # never none
    assert [_cell(v) for v in (1227.891, 0.012345, None, 7)] == ["1,227.89", "0.01235", "", "7"]
