"""`mi doctor`: the deployment's layers checked, as tables for people or JSON for scripts."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from marketing_intel.doctor.deployment import DEFAULT_TIMEOUT_S
from marketing_intel.doctor.report import DoctorReport, LayerReport, Status

if TYPE_CHECKING:
    from rich.table import Table

_STYLES = {Status.OK: "green", Status.WARNING: "yellow", Status.ERROR: "red"}


def doctor(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (for scripts).")
    ] = False,
    timeout: Annotated[
        float, typer.Option(min=0.5, max=60, help="Seconds each check may take.")
    ] = DEFAULT_TIMEOUT_S,
    strict: Annotated[
        bool, typer.Option(help="Exit 1 on warnings too (e.g. a cache role that could bypass RLS).")
    ] = False,
) -> None:
    """Check each layer the settings deploy: engine, reachable, schema, isolation, secrets."""
    from marketing_intel.config import ConfigError, load_settings
    from marketing_intel.doctor.deployment import check_deployment

    try:
        report = check_deployment(load_settings(), timeout_s=timeout)
    except ConfigError as error:
        report = DoctorReport(checked_at=dt.datetime.now(dt.UTC), settings_error=str(error))
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        _print(report)
    raise typer.Exit(report.exit_code(strict=strict))


def _print(report: DoctorReport) -> None:
    from rich.markup import escape

    from marketing_intel.terminal import console, errors

    if report.settings_error is not None:  # said as every `mi` command says its errors
        errors.print(f"[bold red]error:[/] {escape(report.settings_error)}", highlight=False)
        return
    for layer in report.layers:
        console.print(_table(layer))
    style = _STYLES[report.status]
    console.print(f"[{style}]Overall: {report.status.value}[/{style}]")


def _table(layer: LayerReport) -> Table:
    from rich.table import Table
    from rich.text import Text

    style = _STYLES[layer.status]
    kind = "production engine" if layer.production else "embedded default"
    table = Table(
        title=f"{layer.layer}: {layer.engine} ({kind}) [{style}]{layer.status.value}[/{style}]",
        title_justify="left",
        show_header=False,
        expand=False,
    )
    table.add_column("check", style="bold", no_wrap=True)
    table.add_column("finding", overflow="fold")
    for name, finding in _rows(layer):
        table.add_row(name, Text(finding))  # Text: a finding's brackets are not markup
    return table


def _rows(layer: LayerReport) -> list[tuple[str, str]]:
    reachable = {True: "yes", False: "no", None: "nothing to reach yet"}[layer.reachable]
    in_force = {True: "in force", False: "NOT in force", None: "not told"}[layer.isolation_in_force]
    last_write = layer.last_write.isoformat(timespec="seconds") if layer.last_write else "-"
    rows = [
        ("where", layer.location),
        ("reachable", reachable),
        ("schema", layer.schema_version or "-"),
        ("tenant isolation", f"{in_force}: {layer.tenant_isolation}"),
        ("secrets", "; ".join(f"{s.setting}: {s.source}" for s in layer.secrets) or "-"),
        (
            "last write",
            f"{last_write} ({layer.last_write_note})" if layer.last_write_note else last_write,
        ),
    ]
    rows += [(name, str(value)) for name, value in layer.details.items()]
    rows += [(problem.severity, problem.message) for problem in layer.problems]
    return rows
