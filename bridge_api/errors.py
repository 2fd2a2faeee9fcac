"""Every error answer is JSON: `{"error": {"code": ..., "message": ...}}`, never a traceback.

Our own failures (database or lake unreachable) answer 503 with Retry-After, never a 4xx: a platform
that gets a 4xx stops retrying and the event is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from bridge_api.request_guard import BodyTooLarge, too_large_error
from marketing_intel.bridge import BadApiKey, BridgeUnavailable, UnknownSource
from marketing_intel.lake import InvalidRows, LakeError
from marketing_intel.webhooks import WebhookRejected

_log = logging.getLogger(__name__)

RETRY_AFTER_S = 5


class ApiError(Exception):
    """An error answer of a route: status, stable code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON error answer."""
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception the app may meet to a clear JSON answer."""

    async def api_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        retry = {"Retry-After": str(RETRY_AFTER_S)} if error.status == 503 else None
        return error_response(error.status, error.code, error.message, retry)

    async def rejected(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, WebhookRejected)
        # A 503 (a source misconfigured on our side) asks the platform to come back later.
        retry = {"Retry-After": str(RETRY_AFTER_S)} if error.status_code == 503 else None
        return error_response(error.status_code, error.reason, str(error), retry)

    async def unavailable(_: Request, error: Exception) -> JSONResponse:
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        return error_response(503, "unavailable", str(error), headers)

    async def lake_error(_: Request, error: Exception) -> JSONResponse:
        if isinstance(error, InvalidRows):
            return error_response(422, "invalid_rows", str(error))
        # The detail (it may name the lake file) is for the operator's log, not the caller.
        _log.warning("The lake failed: %s", error)
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        message = "The lake is unreachable or busy; retry after Retry-After seconds."
        return error_response(503, "lake_unavailable", message, headers)

    async def unknown_source(_: Request, error: Exception) -> JSONResponse:
        return error_response(404, "unknown_source", str(error))

    async def bad_key(_: Request, error: Exception) -> JSONResponse:
        return error_response(401, "bad_api_key", str(error), {"WWW-Authenticate": "Bearer"})

    async def too_large(request: Request, _: Exception) -> JSONResponse:
        limit = request.app.state.bridge.settings.bridge.max_body_bytes
        body: dict[str, Any] = too_large_error(limit)
        return JSONResponse(body, status_code=413, headers={"Connection": "close"})

    async def http_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return error_response(error.status_code, code, str(error.detail), error.headers)

    async def invalid_request(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = [
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        ]
        return error_response(422, "invalid_request", "; ".join(problems))

    async def bug(_: Request, error: Exception) -> JSONResponse:
        _log.error("Unhandled error", exc_info=error)
        return error_response(500, "internal_error", "The bridge failed; it has been logged.")

    handlers: list[tuple[type[Exception], Any]] = [
        (ApiError, api_error),
        (WebhookRejected, rejected),
        (BridgeUnavailable, unavailable),
        (LakeError, lake_error),
        (UnknownSource, unknown_source),
        (BadApiKey, bad_key),
        (BodyTooLarge, too_large),
        (HTTPException, http_error),
        (RequestValidationError, invalid_request),
        (Exception, bug),
    ]
    for exception_type, handler in handlers:
        app.add_exception_handler(exception_type, handler)
