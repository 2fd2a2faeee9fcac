"""`mi cache stats|purge|invalidate`: look after the insight cache the MI_ settings select."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from marketing_intel.cache import CacheConfigError, InsightCache, open_cache
from marketing_intel.config import load_settings
from marketing_intel.tenants import check_tenant_id
from marketing_intel.terminal import console, user_errors

app = typer.Typer(help="Inspect, purge and invalidate the insight cache.")


@contextmanager
def _cache() -> Iterator[InsightCache]:
    """The cache, after a warning for each way its runtime role could bypass isolation; closed
    after the command."""
    cache = open_cache(load_settings())
    try:
        for warning in cache.policy_warnings():
            console.print(f"[yellow]Warning:[/yellow] {warning}")
        yield cache
    finally:
        cache.close()


@app.command()
def migrate() -> None:
    """Create or upgrade the PostgreSQL cache schema as its owner (MI_CACHE_MIGRATE_URL, else
    MI_CACHE_URL) and grant MI_CACHE_URL's role what the cache needs."""
    with user_errors():
        settings = load_settings()
        if settings.cache.backend != "postgres" or settings.cache.url is None:
            raise CacheConfigError(
                "`mi cache migrate` is for the PostgreSQL cache: set MI_CACHE_BACKEND=postgres "
                "and MI_CACHE_URL (the embedded cache sets itself up)."
            )
        from marketing_intel.cache.postgres_cache import migrate_cache

        runtime = settings.cache.url.get_secret_value()
        owner = (
            settings.cache.migrate_url.get_secret_value() if settings.cache.migrate_url else None
        )
        applied = migrate_cache(owner or runtime, runtime, settings.cache.schema_name)
    done = f"applied {', '.join(map(str, applied))}" if applied else "already up to date"
    console.print(f"Cache schema {settings.cache.schema_name}: {done}.")
    stats()


@app.command()
def stats(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's entries.")] = None,
) -> None:
    """Entries per template, how many have expired, and where the cache is."""
    with user_errors(), _cache() as cache:
        found = cache.stats(None if tenant is None else check_tenant_id(tenant))
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
    with user_errors(), _cache() as cache:
        deleted = cache.purge_expired()
    console.print(f"Purged {deleted} expired entries.")


@app.command()
def invalidate(
    tenant: Annotated[str, typer.Option(help="The tenant whose reports to drop.")],
    template: Annotated[
        str | None, typer.Option(help="Only this template's reports (default: all).")
    ] = None,
) -> None:
    """Drop a tenant's cached reports, so the next request computes them afresh."""
    with user_errors(), _cache() as cache:
        dropped = cache.invalidate(check_tenant_id(tenant), template)
    what = f"{template} reports" if template else "reports"
    console.print(f"Dropped {dropped} cached {what} of {tenant}.")
