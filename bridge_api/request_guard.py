"""An ASGI middleware: the body size limit and the request counter, for every route.

The limit is checked on Content-Length before the app runs and again while the body streams in
(chunked requests carry no length), so a huge body is never held in memory.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge_api.metrics import BridgeMetrics


class BodyTooLarge(Exception):
    """The request body passed the limit while streaming in."""


class RequestGuard:
    """Answers 413 for bodies over `max_body_bytes` and counts requests by route and status."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, metrics: BridgeMetrics) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = _route_group(scope["path"])
        status = {"code": 500}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            declared = _declared_length(scope)
            if declared is not None and declared > self.max_body_bytes:
                await _too_large(self.max_body_bytes, counting_send)
                return
            # The server delivers no more than a declared Content-Length: only a body without
            # one (chunked) needs counting as it streams in.
            checked = receive if declared is not None else self._limited(receive)
            await self.app(scope, checked, counting_send)
        finally:
            self.metrics.requests.labels(route, str(status["code"])).inc()

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        return limited_receive


def _declared_length(scope: Scope) -> int | None:
    """The Content-Length that bounds the body; None when there is none, it is not a number, or
    a Transfer-Encoding overrides it (then the body is counted as it streams in)."""
    length = None
    for name, value in scope["headers"]:
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            length = int(value) if value.isdigit() else None
    return length


async def _too_large(limit: int, send: Send) -> None:
    body = json.dumps(too_large_error(limit)).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def too_large_error(limit: int) -> dict[str, Any]:
    """The JSON body of a 413."""
    return {
        "error": {
            "code": "body_too_large",
            "message": f"The request body is over the limit of {limit} bytes "
            "(MI_BRIDGE_MAX_BODY_BYTES); send less per request.",
        }
    }


def _route_group(path: str) -> str:
    """A low-cardinality label: /v1/webhooks/shopify/src_x -> /v1/webhooks."""
    parts = path.split("/")
    return "/".join(parts[:3]) if path.startswith("/v1/") else "/".join(parts[:2]) or "/"
