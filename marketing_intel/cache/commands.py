"""`mi cache stats|purge|invalidate`: look after the insight cache the MI_ settings select."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from marketing_intel.cache import InsightCache, open_cache
from marketing_intel.config import load_settings
from marketing_intel.tenants import check_tenant_id
from marketing_intel.terminal import console, user_errors

app = typer.Typer(help="Inspect, purge and invalidate the insight cache.")


def _cache() -> InsightCache:
    return open_cache(load_settings())


@app.command()
def stats(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's entries.")] = None,
) -> None:
    """Entries per template, how many have expired, and where the cache is."""
    with user_errors():
        found = _cache().stats(None if tenant is None else check_tenant_id(tenant))
    console.print(f"{found.backend} insight cache at {found.location}")
    console.print(
        f"{found.entries} entries ({found.expired} expired, not yet purged) "
        f"of {found.tenants} tenant(s)"
    )
    if found.by_template:
        table = Table("template", "entries")
        for template, entries in sorted(found.by_template.items()):
            table.add_row(template, str(entries))
        console.print(table)


@app.command()
def purge() -> None:
    """Delete every expired entry (of all tenants)."""
    with user_errors():
        deleted = _cache().purge_expired()
    console.print(f"Purged {deleted} expired entries.")


@app.command()
def invalidate(
    tenant: Annotated[str, typer.Option(help="The tenant whose reports to drop.")],
    template: Annotated[
        str | None, typer.Option(help="Only this template's reports (default: all).")
    ] = None,
) -> None:
    """Drop a tenant's cached reports, so the next request computes them afresh."""
    with user_errors():
        dropped = _cache().invalidate(check_tenant_id(tenant), template)
    what = f"{template} reports" if template else "reports"
    console.print(f"Dropped {dropped} cached {what} of {tenant}.")
