"""`mi`: the command line for people and scripts (lake queries and loads, demo data).

Every command reads the same `MI_` settings as the nodes. Errors print one actionable sentence
to stderr and exit with status 1 (2 for bad usage), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import typer

from marketing_intel.lazy_commands import LazyCommand, LazyTyperGroup

if TYPE_CHECKING:
    from rich.table import Table

    from marketing_intel.analysis import InsightReport
    from marketing_intel.lake import Lake


# Each sub-command's module imports only when it runs (`mi --help` imports none of them): the
# stores they drive (SQLAlchemy, bullmq, the embeddings, the bridge) take seconds to import.
class MiCommands(LazyTyperGroup):
    """`mi`'s top level: the lake and demo commands here, the other groups loaded on use."""

    lazy_commands: ClassVar[dict[str, LazyCommand]] = {
        "memory": LazyCommand(
            "marketing_intel.memory.commands:app",
            "Agent memory: remember and recall by meaning, per tenant.",
        ),
        "brand-voice": LazyCommand(
            "marketing_intel.brand_voice.commands:app",
            "Brand voice: index approved copy, score drafts.",
        ),
        "cache": LazyCommand(
            "marketing_intel.cache.commands:app",
            "Inspect, purge and invalidate the insight cache.",
        ),
        "sources": LazyCommand(
            "marketing_intel.bridge.commands:sources_app",
            "Webhook sources: where each platform posts, and its secrets.",
        ),
        "api-keys": LazyCommand(
            "marketing_intel.bridge.commands:api_keys_app",
            "API keys for batch ingest (tenant keys) and admin (operator keys).",
        ),
        "inbox": LazyCommand(
            "marketing_intel.bridge.commands:inbox_app",
            "The bridge's inbox: events on their way to the lake.",
        ),
        "bridge": LazyCommand(
            "marketing_intel.bridge.commands:bridge_app",
            "Run the bridge API and its flusher.",
        ),
        "flows": LazyCommand(
            "marketing_intel.flows.commands:app",
            "The template flows: list, export from their builders, run headless.",
        ),
        "jobs": LazyCommand(
            "marketing_intel.jobs.commands:jobs_app",
            "Flow-run jobs on the Redis queue: list, show, retry, enqueue.",
        ),
        "doctor": LazyCommand(
            "marketing_intel.doctor.commands:doctor",
            "Check each layer the settings deploy: engine, reachable, schema, isolation, secrets.",
        ),
        "worker": LazyCommand(
            "marketing_intel.jobs.commands:worker",
            "Run flow-run jobs from the Redis queue until SIGTERM (running jobs finish first).",
        ),
    }


app = typer.Typer(
    cls=MiCommands, help="Marketing intelligence for Langflow: the lake, demo data and more."
)
lake_app = typer.Typer(help="Load and inspect the lake.")
demo_app = typer.Typer(help="Synthetic demo data.")
app.add_typer(lake_app, name="lake")
app.add_typer(demo_app, name="demo")


def _lake(*, writing: bool = False) -> Lake:
    """The configured lake; before a write, its tables are created if missing (idempotent)."""
    from marketing_intel.config import load_settings
    from marketing_intel.lake import open_lake

    lake = open_lake(load_settings(), component="mi-cli")
    if writing:
        lake.apply_schema()
    return lake


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="One SELECT in BigQuery SQL over the lake tables.")],
    tenant: Annotated[str, typer.Option(help="The tenant whose rows the query reads.")],
    param: Annotated[
        list[str] | None,
        typer.Option(help="name=value or name:TYPE=value (STRING, INT64, DATE, ARRAY<...>)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows.")] = False,
    row_limit: Annotated[int | None, typer.Option(min=1, help="At most this many rows.")] = None,
) -> None:
    """Run ad-hoc BigQuery SQL for one tenant, through the same guards as the node."""
    from marketing_intel.config import load_settings
    from marketing_intel.lake import QueryLimits, open_lake
    from marketing_intel.lake.parameters import parse
    from marketing_intel.lake.rows import json_rows
    from marketing_intel.terminal import console, errors, user_errors

    with user_errors():
        settings = load_settings()
        limits = QueryLimits(
            row_limit=row_limit or settings.query.row_limit, timeout_s=settings.query.timeout_s
        )
        params = [parse(text) for text in param or []]
        lake = open_lake(settings, component="mi-cli")
        result = lake.query(sql, params, tenant_id=tenant, limits=limits)
    rows = result.rows()
    if as_json:
        sys.stdout.write(json.dumps(json_rows(result.table)) + "\n")
    else:
        console.print(_rich_table(result.table.column_names, rows))
    if result.statistics.truncated:
        errors.print(f"Only the first {len(rows)} rows are shown (row limit); narrow the query.")


def _columns_that_fit(columns: list[str], rows: list[dict[str, Any]], width: int) -> list[str]:
    """The leading columns whose widest cell fits `width` characters side by side (at least one):
    a table squeezed past that shows empty boxes, and a report's table is wide."""
    shown: list[str] = []
    used = 1  # the left border
    for column in columns:
        cells = (len(_cell(row.get(column))) for row in rows)
        used += max(len(column), *cells) + 3  # padding and the border
        if shown and used > width:
            break
        shown.append(column)
    return shown


def _rich_table(columns: list[str], rows: list[dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table(*columns)
    for row in rows:
        table.add_row(*(_cell(row[c]) for c in columns))
    return table


def _cell(value: Any) -> str:
    """A value as a terminal cell: floats to what a reader compares (1,227.89; 0.01235)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value)


@app.command()
def analyze(
    template: Annotated[str, typer.Argument(help="campaign_insights, platform_events, ...")],
    tenant: Annotated[str, typer.Option(help="The tenant to analyze.")],
    days: Annotated[int, typer.Option(min=1, help="The last N days up to today (UTC).")] = 28,
    start: Annotated[str | None, typer.Option(help="Start date YYYY-MM-DD (with --end).")] = None,
    end: Annotated[str | None, typer.Option(help="End date YYYY-MM-DD, inclusive.")] = None,
    option: Annotated[
        list[str] | None, typer.Option(help="A template option as name=value (repeatable).")
    ] = None,
    markets: Annotated[
        str | None,
        typer.Option(
            help="The tenant's markets, e.g. US,GB-SCT: their public holidays are marked on "
            "findings. Default: MI_MARKETS; '' for none."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            dir_okay=False,
            help="Also write the report as one self-contained HTML page, charts included.",
        ),
    ] = None,
) -> None:
    """Run an analysis template for a tenant and print its report."""
    from marketing_intel.analysis import Window, run_template
    from marketing_intel.config import load_settings
    from marketing_intel.lake import open_lake
    from marketing_intel.terminal import console, user_errors

    with user_errors():
        now = dt.datetime.now(dt.UTC)
        window = Window.from_inputs(days=days, start=start, end=end, today=now.date())
        options = dict(_option(text) for text in option or [])
        if markets is not None:
            if "markets" in options:
                raise ValueError("give the markets once: --markets or --option markets=...")
            options["markets"] = markets
        lake = open_lake(load_settings(), component="mi-cli")
        report = run_template(template, lake, tenant, window, options, now=now)
        if html is not None:
            _write_html(report, html)
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return
    from rich.markdown import Markdown  # markdown-it and Pygments, which --json does without

    console.print(Markdown(report.narrative))
    if report.table:
        columns = list(report.table[0])
        shown = _columns_that_fit(columns, report.table, console.width)
        console.print(_rich_table(shown, report.table))
        if len(shown) < len(columns):
            console.print(
                f"{len(columns) - len(shown)} more columns ({', '.join(columns[len(shown) :])}): "
                "see them with --json or --html."
            )


def _write_html(report: InsightReport, path: Path) -> None:
    """Write `report`'s page to `path`; a path that cannot be written is the user's to fix."""
    from marketing_intel.report_page import report_html

    page = report_html(report)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot write the HTML report to {path}: {error.strerror}") from None
    sys.stderr.write(f"Wrote the HTML report to {path}\n")


def _option(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"option {text!r} has no '='; write name=value")
    try:
        return name.strip(), json.loads(value)
    except json.JSONDecodeError:
        return name.strip(), value


@lake_app.command("load")
def lake_load(
    table: Annotated[str, typer.Argument(help="The lake table to load into.")],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV, JSONL or Parquet.")
    ],
    replace: Annotated[
        bool, typer.Option(help="Rows whose key exists replace it (restatements).")
    ] = False,
) -> None:
    """Load a file into a lake table; every row is checked first and a bad file loads nothing."""
    from marketing_intel.lake.files import read_table_file
    from marketing_intel.lake.schema import table_spec
    from marketing_intel.terminal import console, user_errors

    with user_errors():
        rows = read_table_file(table_spec(table), file)
        lake = _lake(writing=True)
        result = lake.upsert(table, rows) if replace else lake.insert(table, rows)
    console.print(
        f"Loaded {result.inserted} new rows into {table}, replaced {result.replaced}, "
        f"skipped {result.duplicates} whose key was already there."
    )


@demo_app.command("seed")
def demo_seed(
    tenants: Annotated[int, typer.Option(min=1, help="Tenants demo-1 .. demo-N.")] = 3,
    days: Annotated[int, typer.Option(min=1, help="Days of history up to today.")] = 90,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    end_date: Annotated[
        str | None, typer.Option(help="Last day of data (YYYY-MM-DD); default today (UTC).")
    ] = None,
    if_empty: Annotated[bool, typer.Option(help="Do nothing when the lake has rows.")] = False,
) -> None:
    """Fill every lake table with realistic, deterministic demo data."""
    from marketing_intel.demo import DemoSpec, seed_lake
    from marketing_intel.terminal import console, user_errors

    with user_errors():
        lake = _lake(writing=True)
        if if_empty and any(lake.row_counts().values()):
            console.print("The lake already has data; nothing seeded.")
            return
        last_day = dt.date.fromisoformat(end_date) if end_date else dt.datetime.now(dt.UTC).date()
        spec = DemoSpec(tenants=tenants, days=days, seed=seed, end_date=last_day)
        with _progress() as advance:
            results = seed_lake(lake, spec, on_batch=advance)
    for table, inserted in results.items():
        console.print(f"{table}: {inserted} rows")


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from marketing_intel.terminal import errors

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=errors) as progress:
        tasks: dict[str, Any] = {}

        def advance(table: str, rows: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = progress.add_task(table, total=total)
            progress.advance(tasks[table], rows)

        yield advance
