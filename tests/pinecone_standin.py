"""A Pinecone-shaped HTTP server for the tests: a STAND-IN, not Pinecone.

Pinecone itself cannot run here (its emulator is Docker-only), so the tests start this small
server on 127.0.0.1 and drive it with the real `pinecone` SDK 10.x over HTTP. It serves the data
plane the brand-voice index uses (upsert, query, fetch, list, delete, describe_index_stats; and
for an index "created for a model", records upsert and search), a control-plane
`GET /indexes/{name}` and the inference API's `POST /embed` (the hosted model is played by the
offline MiniLM). It stores vectors in memory per namespace and records every request (method,
path, query, headers, JSON or NDJSON body) so tests can assert exactly what the SDK sent.
Filters are evaluated with the project's own filter module (Pinecone's documented grammar); the
independent check of the data plane is the needledb peer (tests/needledb_server.py).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from marketing_intel.embeddings import local_embeddings
from marketing_intel.vectors import parse_filter

API_KEY = "standin-key"


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any


@dataclass
class PineconeStandIn:
    """The server's state: namespaces of vectors, and the requests received."""

    dimension: int
    index_name: str = "brand-voice"
    namespaces: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    url: str = ""
    integrated_model: str | None = None  # set: the index was "created for" this hosted model
    text_field: str = "chunk_text"

    def calls(self, path_suffix: str) -> list[RecordedRequest]:
        """The recorded requests whose path ends with `path_suffix`."""
        return [r for r in self.requests if r.path.endswith(path_suffix)]


def build_app(state: PineconeStandIn) -> FastAPI:
    """The FastAPI app of the stand-in."""
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Any:
        raw = (await request.body()).decode()
        if "ndjson" in request.headers.get("content-type", ""):
            body: Any = [json.loads(line) for line in raw.splitlines() if line.strip()]
        else:
            body = json.loads(raw) if raw else None
        state.requests.append(
            RecordedRequest(
                request.method,
                request.url.path,
                list(request.query_params.multi_items()),
                {k.lower(): v for k, v in request.headers.items()},
                body,
            )
        )
        if request.headers.get("api-key") != API_KEY:
            error = {"error": {"code": "UNAUTHENTICATED", "message": "Invalid API Key"}}
            return JSONResponse(error, status_code=401)
        return await call_next(request)

    @app.get("/indexes/{name}")
    def describe_index(name: str) -> Any:
        if name != state.index_name:
            return JSONResponse({"error": {"code": "NOT_FOUND", "message": name}}, 404)
        field: dict[str, Any] = {
            "values": {"type": "dense_vector", "dimension": state.dimension, "metric": "cosine"}
        }
        if state.integrated_model:
            semantic = {"type": "semantic_text", "model": state.integrated_model}
            field = {state.text_field: {**semantic, "metric": "cosine"}}
        return {
            "name": name,
            "host": state.url,
            "status": {"ready": True, "state": "Ready"},
            "schema": {"fields": field},
            "deployment": {"deployment_type": "managed", "cloud": "aws", "region": "us-east-1"},
            "deletion_protection": "disabled",
        }

    @app.post("/vectors/upsert")
    def upsert(body: dict[str, Any]) -> Any:
        space = state.namespaces.setdefault(body.get("namespace", ""), {})
        for vector in body["vectors"]:
            if len(vector["values"]) != state.dimension:
                message = f"Vector dimension {len(vector['values'])} does not match"
                return JSONResponse(
                    {"error": {"code": "INVALID_ARGUMENT", "message": message}}, 400
                )
            space[vector["id"]] = vector
        return {"upsertedCount": len(body["vectors"])}

    @app.post("/embed")
    def embed(body: dict[str, Any]) -> Any:
        texts = [item["text"] for item in body["inputs"]]
        vectors = local_embeddings().embed_documents(texts)
        return {
            "model": body["model"],
            "vector_type": "dense",
            "data": [{"values": v, "vector_type": "dense"} for v in vectors],
            "usage": {"total_tokens": sum(len(t.split()) for t in texts)},
        }

    @app.post("/records/namespaces/{namespace:path}/upsert")
    def upsert_records(namespace: str, request: Request) -> Any:
        records = state.requests[-1].body
        space = state.namespaces.setdefault(namespace, {})
        vectors = local_embeddings().embed_documents([r[state.text_field] for r in records])
        for record, values in zip(records, vectors, strict=True):
            metadata = {k: v for k, v in record.items() if k != "_id"}
            space[record["_id"]] = {"id": record["_id"], "values": values, "metadata": metadata}
        return JSONResponse(None, status_code=201)

    @app.post("/records/namespaces/{namespace:path}/search")
    def search_records(namespace: str, body: dict[str, Any]) -> Any:
        vector = local_embeddings().embed_query(body["query"]["inputs"]["text"])
        found = query(
            {
                "namespace": namespace,
                "vector": vector,
                "topK": body["query"]["top_k"],
                "filter": body["query"].get("filter"),
            }
        )
        fields = body.get("fields") or []
        hits = [
            {
                "_id": m["id"],
                "_score": m["score"],
                "fields": {f: m["metadata"][f] for f in fields if f in m["metadata"]},
            }
            for m in found["matches"]
        ]
        return {"result": {"hits": hits}, "usage": {"read_units": 1, "embed_total_tokens": 1}}

    @app.post("/query")
    def query(body: dict[str, Any]) -> Any:
        space = state.namespaces.get(body.get("namespace", ""), {})
        wanted = parse_filter(body.get("filter"))
        query = np.asarray(body["vector"], dtype=np.float64)
        scored = []
        for vector in space.values():
            if wanted.matches(vector.get("metadata", {})):
                values = np.asarray(vector["values"], dtype=np.float64)
                cosine = float(values @ query / np.linalg.norm(values) / np.linalg.norm(query))
                scored.append((cosine, vector))
        scored.sort(key=lambda item: -item[0])
        matches = [
            {"id": v["id"], "score": s, "metadata": v.get("metadata", {})}
            for s, v in scored[: body["topK"]]
        ]
        return {"matches": matches, "namespace": body.get("namespace", "")}

    @app.get("/vectors/fetch")
    def fetch(request: Request) -> Any:
        namespace = request.query_params.get("namespace", "")
        space = state.namespaces.get(namespace, {})
        ids = request.query_params.getlist("ids")
        return {"vectors": {i: space[i] for i in ids if i in space}, "namespace": namespace}

    @app.get("/vectors/list")
    def list_ids(request: Request) -> Any:
        namespace = request.query_params.get("namespace", "")
        ids = sorted(state.namespaces.get(namespace, {}))
        start = int(request.query_params.get("paginationToken") or 0)
        limit = int(request.query_params.get("limit") or 100)
        page: dict[str, Any] = {
            "vectors": [{"id": i} for i in ids[start : start + limit]],
            "namespace": namespace,
        }
        if start + limit < len(ids):
            page["pagination"] = {"next": str(start + limit)}
        return page

    @app.post("/vectors/delete")
    def delete(body: dict[str, Any]) -> Any:
        space = state.namespaces.get(body.get("namespace", ""), {})
        if body.get("ids") is not None:
            doomed = [i for i in body["ids"] if i in space]
        else:
            wanted = parse_filter(body.get("filter"))
            doomed = [i for i, v in space.items() if wanted.matches(v.get("metadata", {}))]
        for record_id in doomed:
            del space[record_id]
        return {}

    @app.post("/describe_index_stats")
    def stats() -> Any:
        return {
            "namespaces": {n: {"vectorCount": len(s)} for n, s in state.namespaces.items()},
            "dimension": state.dimension,
            "indexFullness": 0.0,
            "totalVectorCount": sum(len(s) for s in state.namespaces.values()),
        }

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_standin(dimension: int, integrated_model: str | None = None) -> Iterator[PineconeStandIn]:
    """Serve a fresh stand-in on a free loopback port for the duration of the generator."""
    state = PineconeStandIn(dimension=dimension, integrated_model=integrated_model)
    port = _free_port()
    state.url = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(build_app(state), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Pinecone stand-in did not start")
        time.sleep(0.02)
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
