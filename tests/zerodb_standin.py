"""Our stand-in for ZeroDB: a small real HTTP server on 127.0.0.1 speaking the documented dialect.

ZeroDB (AINative Studio) has no local edition that can run here ("ZeroDB Local" is a stub that
ignores vectors), so the tests run our client over real HTTP against this server instead. It
implements the vector endpoints of the dialect in `notes/stores-and-embeddings.md`:

- `PUT  /api/v1/projects/{pid}/database/vectors` `{namespace, items: [{id, vector, metadata}]}`
- `POST /api/v1/projects/{pid}/database/vectors/search`
  `{vector, top_k, namespace, filter, include_metadata}` -> `{results: [...]}` (or `{vectors}`)
- `GET|DELETE /api/v1/projects/{pid}/database/vectors/{id}?namespace=...`
- `GET /api/v1/projects/{pid}/database/vectors?namespace=&limit=&offset=`

with `X-API-Key` authentication, server-side cosine search with equality filters on metadata, and
scripted faults (status, `Retry-After`, delays, malformed JSON). It records every request so tests
can assert exactly what our client sent. What it cannot tell us about the live service is listed in
the closing note of issue 5.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

API_KEY = "test-key-0123456789"
PROJECT_ID = "6f1c0c1e-1111-4222-8333-944455556666"
ROUTE = re.compile(r"^/api/v1/projects/(?P<pid>[^/]+)/database/vectors(?:/(?P<rest>[^/]+))?$")


@dataclass
class Fault:
    """A scripted answer for the next request: a status with headers and a raw body, after a
    delay (a delay longer than the client's timeout is a timeout)."""

    status: int = 500
    body: bytes = b'{"detail": "scripted failure"}'
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class StandInZeroDB:
    """The server's state: vectors per namespace, scripted faults, recorded requests."""

    url: str = ""
    results_key: str = "results"  # "vectors" answers like the other documented variant
    ignore_filters: bool = False  # a misbehaving server, to prove our client-side checks
    namespaces: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    faults: deque[Fault] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: RecordedRequest) -> tuple[int, Any]:
        """The status and JSON body for a request that passed authentication."""
        match = ROUTE.match(request.path)
        if match is None or match["pid"] != PROJECT_ID:
            return 404, {"detail": "Not Found"}
        rest, method = match["rest"], request.method
        if method == "PUT" and rest is None:
            return self._upsert(request.body)
        if method == "POST" and rest == "search":
            return self._search(request.body)
        if method == "GET" and rest is None:
            return self._list(request.query)
        if method in ("GET", "DELETE") and rest is not None:
            return self._by_id(method, rest, request.query.get("namespace", "default"))
        return 405, {"detail": "Method Not Allowed"}

    def _upsert(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            return 422, {"detail": "items: field required"}
        space = self.namespaces.setdefault(body.get("namespace", "default"), {})
        for item in body["items"]:
            space[item["id"]] = {"vector": item["vector"], "metadata": item.get("metadata", {})}
        return 200, {"upserted_count": len(body["items"])}

    def _search(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or "vector" not in body:
            return 422, {"detail": "vector: field required"}
        space = self.namespaces.get(body.get("namespace", "default"), {})
        wanted = {} if self.ignore_filters else dict(body.get("filter") or {})
        query = np.asarray(body["vector"], dtype=np.float64)
        scored = []
        for id_, item in space.items():
            metadata = item["metadata"]
            if any(metadata.get(name) != value for name, value in wanted.items()):
                continue
            vector = np.asarray(item["vector"], dtype=np.float64)
            score = float(vector @ query / (np.linalg.norm(vector) * np.linalg.norm(query)))
            scored.append({"id": id_, "score": score, "metadata": metadata})
        scored.sort(key=lambda hit: hit["score"], reverse=True)
        return 200, {self.results_key: scored[: int(body.get("top_k", 10))]}

    def _list(self, query: dict[str, str]) -> tuple[int, Any]:
        space = self.namespaces.get(query.get("namespace", "default"), {})
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
        page = [
            {"id": id_, "metadata": item["metadata"]}
            for id_, item in list(space.items())[offset : offset + limit]
        ]
        return 200, {self.results_key: page, "total": len(space)}

    def _by_id(self, method: str, id_: str, namespace: str) -> tuple[int, Any]:
        space = self.namespaces.get(namespace, {})
        if id_ not in space:
            return 404, {"detail": "Vector not found"}
        if method == "DELETE":
            del space[id_]
            return 200, {"deleted": True, "id": id_}
        return 200, {"id": id_, **space[id_]}


def _handler(state: StandInZeroDB) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = RecordedRequest(
                method=self.command,
                path=parts.path,
                query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=json.loads(raw) if raw else None,
            )
            with state.lock:
                state.requests.append(request)
                fault = state.faults.popleft() if state.faults else None
            if fault is not None:
                time.sleep(fault.delay_s)
                self._send(fault.status, fault.body, fault.headers)
                return
            if request.headers.get("x-api-key") != API_KEY:
                self._send(401, b'{"detail": "Invalid API key"}', {})
                return
            with state.lock:
                status, answer = state.handle(request)
            self._send(status, json.dumps(answer).encode(), {})

        do_GET = do_PUT = do_POST = do_DELETE = _serve

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def zerodb_server() -> Iterator[StandInZeroDB]:
    """A fresh stand-in ZeroDB on a free port of 127.0.0.1, stopped after the test."""
    state = StandInZeroDB()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
