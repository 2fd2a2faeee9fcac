"""`mi memory`: remember and recall agent memories from the command line (same `MI_` settings
as the nodes: the embedded store by default, ZeroDB with `MI_MEMORY_BACKEND=zerodb`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from marketing_intel.config import load_settings
from marketing_intel.memory import MemoryFilter, MemoryKind, MemoryRecord, open_memory_store
from marketing_intel.terminal import console, user_errors

app = typer.Typer(help="Agent memory: remember and recall by meaning, per tenant.")


@app.command()
def remember(
    tenant: Annotated[str, typer.Option(help="The tenant the memory belongs to.")],
    text: Annotated[str | None, typer.Argument(help="What to remember (or use --file).")] = None,
    file: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="Remember this file's text instead."),
    ] = None,
    kind: Annotated[MemoryKind, typer.Option(help="insight, message or fact.")] = "fact",
    tags: Annotated[list[str] | None, typer.Option("--tags", help="A tag (repeatable).")] = None,
    agent: Annotated[str | None, typer.Option(help="The agent that remembers it.")] = None,
    session: Annotated[str | None, typer.Option(help="The session it belongs to.")] = None,
    importance: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.5,
) -> None:
    """Remember TEXT (or a file's text) for a tenant; prints the memory's id."""
    with user_errors():
        if (text is None) == (file is None):
            raise ValueError("give the text to remember or --file, not both or neither")
        content = file.read_text(encoding="utf-8") if file is not None else str(text)
        record = MemoryRecord(
            tenant=tenant,
            content=content,
            kind=kind,
            tags=tuple(tags or ()),
            agent=agent,
            session=session,
            importance=importance,
        )
        store = open_memory_store(load_settings())
        try:
            memory_id = store.remember(record)
        finally:
            store.close()
    sys.stdout.write(memory_id + "\n")


@app.command()
def recall(
    query: Annotated[str, typer.Argument(help="What to look for, in your own words.")],
    tenant: Annotated[str, typer.Option(help="The tenant whose memories are searched.")],
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="How many memories.")] = 5,
    kind: Annotated[MemoryKind | None, typer.Option(help="Only this kind.")] = None,
    tags: Annotated[list[str] | None, typer.Option("--tags", help="Only with this tag.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """The memories closest in meaning to QUERY, closest first."""
    with user_errors():
        filters = MemoryFilter(tenant=tenant, kind=kind, tags=tuple(tags or ()))
        store = open_memory_store(load_settings())
        try:
            memories = store.recall(query, k, filters)
        finally:
            store.close()
    if as_json:
        for memory in memories:
            sys.stdout.write(json.dumps(memory.as_row()) + "\n")
        return
    table = Table("score", "kind", "created", "content", "tags")
    for memory in memories:
        record = memory.record
        created = record.created_at.strftime("%Y-%m-%d %H:%M")
        table.add_row(
            f"{memory.score:.3f}", record.kind, created, record.content, ", ".join(record.tags)
        )
    console.print(table)
