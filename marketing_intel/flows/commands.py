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

from marketing_intel.flows.catalog import (
    FLOWS,
    AnalysisFlowSpec,
    ChatFlowSpec,
    FlowError,
    FlowSpec,
    WindowChoice,
    flow_spec,
)
from marketing_intel.flows.files import CHECKOUT_FLOWS
from marketing_intel.flows.headless import run_flow_headless, run_headless
from marketing_intel.flows.run_api import json_from_message
from marketing_intel.terminal import console, user_errors

app = typer.Typer(help="The template flows: list, export from their builders, run headless.")


@app.command("list")
def list_flows() -> None:
    """The flows, and the template each analysis flow runs."""
    for spec in FLOWS.values():
        runs = spec.template if isinstance(spec, AnalysisFlowSpec) else "-"
        console.print(f"{spec.endpoint:<26} {runs:<18} {spec.title}")


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
    name: Annotated[str, typer.Argument(help="The flow: " + ", ".join(FLOWS))],
    tenant: Annotated[str, typer.Option(help="The tenant to analyze.")],
    text: Annotated[
        str | None,
        typer.Option("--input", help="The draft or question of a chat flow."),
    ] = None,
    brand: Annotated[str, typer.Option(help="The brand (brand-voice-check).")] = "",
    days: Annotated[int, typer.Option(min=1, help="The last N days up to today (UTC).")] = 28,
    start: Annotated[str | None, typer.Option(help="Start date YYYY-MM-DD (with --end).")] = None,
    end: Annotated[str | None, typer.Option(help="End date YYYY-MM-DD, inclusive.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run a flow headless with lfx (the same JSON Langflow serves) and print its report, or a
    chat flow's answer."""
    with user_errors():
        spec = flow_spec(name)
        if not isinstance(spec, AnalysisFlowSpec):
            sys.stdout.write(_chat_answer(spec, text, tenant, brand).strip() + "\n")
            return
        report = run_headless(spec, tenant, WindowChoice(days=days, start=start, end=end))
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        console.print(Markdown(report.narrative))


def _chat_answer(spec: FlowSpec, text: str | None, tenant: str, brand: str) -> str:
    if not isinstance(spec, ChatFlowSpec):
        raise FlowError(f"mi flows run cannot set the inputs of {spec.endpoint}.")
    if not text:
        raise FlowError(f"The flow {spec.endpoint} answers a message: give it with --input TEXT.")
    # A JSON answer (brand-voice-check's score) prints as plain JSON, without Langflow's fence.
    return json_from_message(run_flow_headless(spec, spec.tweaks(text, tenant, brand)))
