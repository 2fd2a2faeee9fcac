"""`mi sources`, `mi api-keys`, `mi inbox` and `mi bridge`: run and operate the webhook bridge."""

from __future__ import annotations

import json
import signal
import sys
import threading
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table

from marketing_intel.bridge.service import Bridge, open_bridge
from marketing_intel.bridge.sources import NewSecret
from marketing_intel.config import load_settings
from marketing_intel.terminal import console, user_errors
from marketing_intel.webhooks.registry import discover_platforms

sources_app = typer.Typer(help="Webhook sources: where each platform posts, and its secrets.")
api_keys_app = typer.Typer(
    help="API keys for batch ingest (tenant keys) and admin (operator keys)."
)
inbox_app = typer.Typer(help="The bridge's inbox: events on their way to the lake.")
bridge_app = typer.Typer(help="Run the bridge API and its flusher.")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _bridge() -> Bridge:
    return open_bridge(load_settings())


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=str) + "\n")


def _print_new_secret(created: NewSecret, as_json: bool) -> None:
    source = created.source
    shown = {
        "source_id": source.source_id,
        "tenant_id": source.tenant_id,
        "platform": source.platform,
        "webhook_path": source.webhook_path,
        "secret": created.secret,
        "verify_token": created.verify_token,
    }
    if as_json:
        _print_json(shown)
        return
    console.print(f"source id:    {source.source_id}")
    console.print(f"webhook path: {source.webhook_path}")
    if created.secret:
        console.print(f"secret:       {created.secret}  (shown once: store it now)", soft_wrap=True)
    if created.verify_token:
        console.print(f"verify token: {created.verify_token}")


@sources_app.command("add")
def sources_add(
    platform: Annotated[
        str, typer.Option(help="shopify, meta, google_ads, ... (`mi sources platforms` lists all).")
    ],
    tenant: Annotated[str, typer.Option(help="The tenant whose events this source brings.")],
    secret: Annotated[
        str | None, typer.Option(help="The platform's signing secret; generated when left out.")
    ] = None,
    verify_token: Annotated[
        str | None, typer.Option(help="Meta's verify token; generated for Meta when left out.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a source; prints its id, webhook path and (when generated) its secret, once."""
    with user_errors():
        created = _bridge().sources.add(platform, tenant, secret=secret, verify_token=verify_token)
    _print_new_secret(created, as_json)


@sources_app.command("platforms")
def sources_platforms(as_json: JsonOption = False) -> None:
    """List the platforms a source can be added for, and the headers each signs with."""
    found = list(discover_platforms().values())
    if as_json:
        _print_json(
            [
                {
                    "platform": p.name,
                    "title": p.title,
                    "signature_headers": sorted(p.signature_headers),
                    "handshake": p.handshake,
                }
                for p in found
            ]
        )
        return
    table = Table("platform", "name", "signature headers", "GET handshake")
    for p in found:
        headers = ", ".join(sorted(p.signature_headers)) or "(a key in the body)"
        table.add_row(p.name, p.title, headers, "yes" if p.handshake else "")
    console.print(table)


@sources_app.command("list")
def sources_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's sources.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List sources (never their secrets)."""
    with user_errors():
        found = _bridge().sources.all_sources(tenant)
    if as_json:
        _print_json([{**asdict(s), "webhook_path": s.webhook_path} for s in found])
        return
    table = Table("tenant", "platform", "enabled", "created", "rotated")
    table.add_column("source id", no_wrap=True)
    for s in found:
        rotated = f"{s.rotated_at:%Y-%m-%d %H:%M}" if s.rotated_at else ""
        created = f"{s.created_at:%Y-%m-%d %H:%M}"
        table.add_row(s.tenant_id, s.platform, str(s.enabled), created, rotated, s.source_id)
    console.print(table)


@sources_app.command("rotate")
def sources_rotate(
    source_id: Annotated[str, typer.Argument(help="The source to rotate.")],
    secret: Annotated[
        str | None, typer.Option(help="The new secret; generated when left out.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Make a new secret current; the old one stays valid for MI_BRIDGE_ROTATION_GRACE_S."""
    with user_errors():
        rotated = _bridge().sources.rotate(source_id, secret=secret)
    _print_new_secret(rotated, as_json)


@sources_app.command("disable")
def sources_disable(
    source_id: Annotated[str, typer.Argument(help="The source to disable.")],
) -> None:
    """Refuse the source's webhooks from now on (servers notice within MI_BRIDGE_SOURCE_CACHE_S)."""
    with user_errors():
        _bridge().sources.disable(source_id)
    console.print(f"Source {source_id} disabled.")


@sources_app.command("reencrypt")
def sources_reencrypt() -> None:
    """Re-encrypt stored secrets with the first MI_BRIDGE_SECRET_KEY (after adding a new key)."""
    with user_errors():
        changed = _bridge().sources.reencrypt()
    console.print(f"Re-encrypted {changed} stored secrets with the newest key.")


@api_keys_app.command("add")
def api_keys_add(
    tenant: Annotated[str | None, typer.Option(help="The tenant the key writes for.")] = None,
    admin: Annotated[bool, typer.Option(help="An operator key for /v1/admin (no tenant).")] = False,
    label: Annotated[str | None, typer.Option(help="A note saying who uses the key.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API key; prints it once (only its hash is stored)."""
    with user_errors():
        if admin == (tenant is not None):
            raise ValueError("pass either --tenant T (a tenant key) or --admin (an operator key)")
        key, text = _bridge().api_keys.create(tenant, label=label)
    if as_json:
        _print_json({**asdict(key), "api_key": text})
        return
    console.print(f"API key: {text}  (shown once: store it now)", soft_wrap=True)


@api_keys_app.command("list")
def api_keys_list(as_json: JsonOption = False) -> None:
    """List API keys (ids, tenants, labels; never the keys)."""
    with user_errors():
        keys = _bridge().api_keys.all_keys()
    if as_json:
        _print_json([asdict(key) for key in keys])
        return
    table = Table("key id", "tenant", "label", "enabled")
    for key in keys:
        table.add_row(key.key_id, key.tenant_id or "(admin)", key.label or "", str(key.enabled))
    console.print(table)


@api_keys_app.command("disable")
def api_keys_disable(key_id: Annotated[str, typer.Argument(help="The key id to disable.")]) -> None:
    """Refuse the key from now on."""
    with user_errors():
        _bridge().api_keys.disable(key_id)
    console.print(f"API key {key_id} disabled.")


@inbox_app.command("status")
def inbox_status(as_json: JsonOption = False) -> None:
    """Events pending, flushed and dead, the flush lag, and the oldest dead letters."""
    with user_errors():
        bridge = _bridge()
        status = bridge.inbox.status()
        dead = bridge.inbox.dead_letters(limit=20)
    summary = {
        "pending": status.pending,
        "flushed": status.flushed,
        "dead": status.dead,
        "flush_lag_seconds": round(status.lag_seconds(), 3),
        "dead_letters": [asdict(letter) for letter in dead],
    }
    if as_json:
        _print_json(summary)
        return
    console.print(
        f"pending {status.pending}, flushed {status.flushed}, dead {status.dead}; "
        f"oldest pending waited {summary['flush_lag_seconds']} s"
    )
    for letter in dead:
        console.print(
            f"dead #{letter.id} {letter.platform} {letter.dedupe_key}: {letter.last_error}"
        )


@inbox_app.command("replay")
def inbox_replay(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead letter ids; all when none.")] = None,
) -> None:
    """Put dead letters back in line for the flusher."""
    with user_errors():
        replayed = _bridge().inbox.replay(ids or None)
    console.print(f"{replayed} dead letters are pending again.")


@inbox_app.command("prune")
def inbox_prune() -> None:
    """Delete flushed events older than MI_BRIDGE_INBOX_RETENTION_S now (the flusher also does
    this every 10 minutes)."""
    with user_errors():
        bridge = _bridge()
        pruned = bridge.inbox.prune_flushed(bridge.settings.bridge.inbox_retention_s)
    console.print(f"{pruned} flushed events past their retention deleted.")


@bridge_app.command("serve")
def bridge_serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8787,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
) -> None:
    """Start the bridge API (and its flusher, unless MI_BRIDGE_FLUSH_IN_PROCESS=false)."""
    import uvicorn

    with user_errors():
        load_settings()  # a configuration mistake stops here, as one sentence
    uvicorn.run(
        "bridge_api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )


@bridge_app.command("flush")
def bridge_flush(
    once: Annotated[bool, typer.Option(help="Flush what is due, then exit.")] = False,
) -> None:
    """Run the flusher alone (any number of them may run against one PostgreSQL)."""
    with user_errors():
        flusher = _bridge().flusher()
        if once:
            result = flusher.flush_all()
            console.print(f"flushed {result.flushed}, retried {result.retried}, dead {result.dead}")
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        flusher.run(stop)
