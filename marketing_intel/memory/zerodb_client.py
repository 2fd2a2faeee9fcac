"""A small client for ZeroDB's REST API (AINative Studio), the dialect of its current docs and
official SDK: `X-API-Key` authentication, the project id in the path
(`/api/v1/projects/{project_id}/database/...`).

Our own rather than the SDK: the SDK only works with a base URL ending in `/api/v1/`, pulls 35
dependencies and ships no licence. Every call we make is idempotent (upserts by id, searches,
reads, deletes), so transient failures (429, 5xx, timeouts, refused connections) are retried with
exponential backoff and full jitter, honouring `Retry-After`; other 4xx are never retried.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from marketing_intel.memory.errors import ZeroDBError

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_DETAIL_CHARS = 300


@dataclass
class RetryPolicy:
    """How failed requests are retried: up to `attempts` tries, waiting a random time up to
    `base_s * 2**n` (capped at `max_wait_s`) or what `Retry-After` asks (also capped)."""

    attempts: int = 4
    base_s: float = 0.5
    max_wait_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[float, float], float] = field(default=random.uniform)

    def wait_s(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before try number `attempt + 1` (attempt counts from 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_wait_s)
        return self.jitter(0.0, min(self.base_s * 2 ** (attempt - 1), self.max_wait_s))


class ZeroDBClient:
    """JSON over HTTP to one ZeroDB project. `request` returns the decoded body or raises a
    `ZeroDBError` naming the endpoint and status (the API key is never part of a message)."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        project_id: str,
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.project_id = project_id
        self.retry = retry or RetryPolicy()
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"X-API-Key": api_key, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
        )

    def database_path(self, suffix: str) -> str:
        """The path of a database endpoint of our project, e.g. `vectors/search`."""
        return f"/api/v1/projects/{self.project_id}/database/{suffix}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """Send one request, retrying transient failures; the decoded JSON body (None for an
        empty body, or for 404 when `missing_ok`)."""
        endpoint = f"{method} {path}"
        for attempt in range(1, self.retry.attempts + 1):
            last_try = attempt == self.retry.attempts
            try:
                response = self._http.request(method, path, json=json, params=params)
            except httpx.TransportError as error:
                if last_try:
                    raise ZeroDBError(
                        f"ZeroDB {endpoint} failed after {attempt} attempts: {_transport(error)}; "
                        "check MI_ZERODB_BASE_URL and the network, then try again"
                    ) from None
                self.retry.sleep(self.retry.wait_s(attempt, None))
                continue
            if response.status_code in RETRIED_STATUSES and not last_try:
                self.retry.sleep(self.retry.wait_s(attempt, _retry_after(response)))
                continue
            return _decoded(response, endpoint, attempt, missing_ok=missing_ok)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


def _decoded(response: httpx.Response, endpoint: str, attempt: int, *, missing_ok: bool) -> Any:
    status = response.status_code
    if status == 404 and missing_ok:
        return None
    if status >= 400:
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        raise ZeroDBError(
            f"ZeroDB {endpoint} answered {status}{tries}: {_detail(response)}{_advice(status)}",
            status=status,
        )
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ZeroDBError(
            f"ZeroDB {endpoint} answered {status} with a body that is not JSON "
            f"({response.text[:80]!r}); check MI_ZERODB_BASE_URL points at the ZeroDB API",
            status=status,
        ) from None


def _advice(status: int) -> str:
    if status in (401, 403):
        return "; check MI_ZERODB_API_KEY and that the key may use MI_ZERODB_PROJECT_ID"
    if status == 404:
        return "; check MI_ZERODB_PROJECT_ID and MI_ZERODB_BASE_URL"
    if status == 429:
        return "; ZeroDB is rate limiting this key, try again later"
    if status >= 500:
        return "; ZeroDB is failing, try again later"
    return ""


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:MAX_DETAIL_CHARS] or response.reason_phrase
    if isinstance(body, dict):
        for name in ("detail", "message", "error"):
            if body.get(name):
                return str(body[name])[:MAX_DETAIL_CHARS]
    return str(body)[:MAX_DETAIL_CHARS]


def _retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds: a number, or an HTTP date (seconds from now)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (when - dt.datetime.now(dt.UTC)).total_seconds()


def _transport(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "the request timed out"
    return f"the connection failed ({type(error).__name__})"
