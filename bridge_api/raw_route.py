"""A FastAPI route for the hottest path: the endpoint gets the bare `Request`.

FastAPI's own handler solves parameters and dependencies and validates the response on every
request, about 16 us per request here. A webhook endpoint reads raw bytes (signatures are over
them) and answers a fixed body, so it needs none of that. This route keeps FastAPI's routing,
middleware, exception handlers and OpenAPI entry, through the documented extension point
(a custom `APIRoute` class overriding `get_route_handler`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class RawRequestRoute(APIRoute):
    """A route whose endpoint is `async (request: Request) -> Response`, called as it is.

    Declare path parameters and the body in `openapi_extra`: the endpoint's signature has none.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The endpoint itself."""
        handler: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return handler
