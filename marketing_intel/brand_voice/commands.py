"""`mi brand-voice`: index a brand's approved copy and score drafts, for people and scripts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from marketing_intel.terminal import console, user_errors

app = typer.Typer(help="Brand voice: index approved copy, score drafts.")

Tenant = Annotated[str, typer.Option(help="The tenant the brand belongs to.")]
Brand = Annotated[str, typer.Option(help="The brand.")]


@app.command("index")
def index_file(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="One exemplar per line, or CSV/JSONL with 'text'."
        ),
    ],
    tenant: Tenant,
    brand: Brand,
    channel: Annotated[
        str | None, typer.Option(help="Where the copy ran (email, ads ...).")
    ] = None,
) -> None:
    """Index a file of approved copy; indexing the same copy again adds no duplicates."""
    from marketing_intel.brand_voice import open_brand_voice_index
    from marketing_intel.brand_voice.exemplar_files import read_exemplar_file
    from marketing_intel.config import load_settings

    with user_errors():
        exemplars = read_exemplar_file(file, tenant=tenant, brand=brand, channel=channel)
        index = open_brand_voice_index(load_settings())
        try:
            report = index.upsert(exemplars)
        finally:
            index.close()
    console.print(
        f"Indexed {report.written} exemplars for {tenant}/{brand} with {report.embedder_id}."
    )


@app.command("score")
def score(
    draft: Annotated[str, typer.Argument(help="The draft copy ('-' reads it from stdin).")],
    tenant: Tenant,
    brand: Brand,
    k: Annotated[int, typer.Option(min=1, max=50, help="Nearest exemplars to show.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Score how on-brand a draft is (0-100), with the nearest exemplars and what differs."""
    from marketing_intel.brand_voice import open_brand_voice_index
    from marketing_intel.config import load_settings

    text = sys.stdin.read() if draft == "-" else draft
    with user_errors():
        index = open_brand_voice_index(load_settings())
        try:
            result = index.score(text, tenant=tenant, brand=brand, k=k)
        finally:
            index.close()
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    console.print(result.summary, highlight=False)
    for difference in result.differences:
        console.print(f"  differs: {difference}", highlight=False)
    if result.unfamiliar_words:
        console.print("  words the brand never uses: " + ", ".join(result.unfamiliar_words))
    table = Table("similarity", "channel", "nearest approved copy")
    for match in result.nearest:
        table.add_row(f"{match.score:.3f}", match.channel, match.text)
    console.print(table)
