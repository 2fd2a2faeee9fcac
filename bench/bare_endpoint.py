"""The bridge bench's baseline: an endpoint answering 200 without reading or doing anything.

A module of its own, importing FastAPI only, so the baseline server process holds no more than a
bare endpoint needs (a bigger heap would cost it garbage-collection time the bridge tunes away).
"""

from __future__ import annotations

from fastapi import FastAPI, Response


def bare_app() -> FastAPI:
    """The baseline app: the webhook route, answering what the bridge answers."""
    app = FastAPI()

    @app.post("/v1/webhooks/{platform}/{source_id}")
    async def bare(platform: str, source_id: str) -> Response:
        return Response(b'{"status":"accepted","events":1}', media_type="application/json")

    return app
