"""`mi flows`: list, export and run the template flows.

`export` and `run` need lfx, which this package never imports: `export` runs the builders
(`python -m starter_projects`, present in a checkout only) and `run` runs `lfx run`, each in its
own process.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown

from marketing_intel.flows.catalog import ANALYSIS_FLOWS, FlowError, WindowChoice, flow_spec
from marketing_intel.flows.files import CHECKOUT_FLOWS
from marketing_intel.flows.headless import run_headless
from marketing_intel.terminal import console, user_errors

app = typer.Typer(help="The template flows: list, export from their builders, run headless.")


@app.command("list")
def list_flows() -> None:
    """The analysis flows and the template each runs."""
    for spec in ANALYSIS_FLOWS.values():
        console.print(f"{spec.endpoint:<26} {spec.template:<18} {spec.title}")


@app.command()
def export(
    folder: Annotated[
        Path, typer.Option(help="Where to write the JSONs.", file_okay=False)
    ] = CHECKOUT_FLOWS,
) -> None:
    """Regenerate the flow JSONs from starter_projects/ (in a checkout of the repository)."""
    with user_errors():
        if importlib.util.find_spec("starter_projects") is None:
            raise FlowError(
                "mi flows export needs the starter_projects/ builders of a checkout of "
                "lfx-marketing-intel; an installed package ships the exported flows only."
            )
        exported = subprocess.run(
            [sys.executable, "-m", "starter_projects", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        if exported.returncode != 0:
            raise FlowError(f"The export failed: {exported.stderr.strip()[-1000:]}")
    for line in exported.stdout.split():
        console.print(f"wrote {line}")


@app.command()
def run(
    name: Annotated[str, typer.Argument(help="The flow: " + ", ".join(ANALYSIS_FLOWS))],
    tenant: Annotated[str, typer.Option(help="The tenant to analyze.")],
    days: Annotated[int, typer.Option(min=1, help="The last N days up to today (UTC).")] = 28,
    start: Annotated[str | None, typer.Option(help="Start date YYYY-MM-DD (with --end).")] = None,
    end: Annotated[str | None, typer.Option(help="End date YYYY-MM-DD, inclusive.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run a flow headless with lfx (the same JSON Langflow serves) and print its report."""
    with user_errors():
        report = run_headless(flow_spec(name), tenant, WindowChoice(days=days, start=start, end=end))
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        console.print(Markdown(report.narrative))
