"""ZeroDBMemoryStore and its HTTP client, end to end over real HTTP against our stand-in for
ZeroDB (`tests/zerodb_standin.py`, a local server speaking the documented dialect; ZeroDB itself
cannot run here). The tests assert the exact requests our client sends and how it meets faults."""

from __future__ import annotations

import email.utils
import hashlib
import time

import numpy as np
import pytest

from marketing_intel.config import ConfigError, load_settings
from marketing_intel.memory import MemoryFilter, MemoryRecord, ZeroDBError
from marketing_intel.memory.zerodb_client import RetryPolicy, ZeroDBClient
from marketing_intel.memory.zerodb_store import ZeroDBMemoryStore
from tests.zerodb_standin import API_KEY, PROJECT_ID, Fault, StandInZeroDB

VECTORS = f"/api/v1/projects/{PROJECT_ID}/database/vectors"


class WordHashEmbeddings:
    """A deterministic bag-of-words embedder for HTTP tests (meaning is tested elsewhere, with
    the real offline model)."""

    embedder_id = "test-word-hash"
    dimension = 384

    def _embed(self, text: str) -> list[float]:
        vector = np.zeros(self.dimension)
        for word in text.lower().split():
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        return list(vector / (np.linalg.norm(vector) or 1.0))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


class Sleeps(list[float]):
    """Records the waits the retry policy asks for, instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_store(
    server: StandInZeroDB,
    sleeps: Sleeps | None = None,
    *,
    timeout_s: float = 5.0,
    key: str = API_KEY,
) -> ZeroDBMemoryStore:
    retry = RetryPolicy(attempts=3, base_s=0.5, sleep=sleeps if sleeps is not None else Sleeps())
    client = ZeroDBClient(
        base_url=server.url + "/",
        api_key=key,
        project_id=PROJECT_ID,
        timeout_s=timeout_s,
        retry=retry,
    )
    return ZeroDBMemoryStore(client, WordHashEmbeddings())  # type: ignore[arg-type]


def fact(text: str, tenant: str = "t1", **fields: object) -> MemoryRecord:
    return MemoryRecord(tenant=tenant, content=text, **fields)  # type: ignore[arg-type]


def test_remember_upserts_the_record_under_its_content_hash_in_the_tenants_namespace(
    zerodb_server: StandInZeroDB,
) -> None:
    store = make_store(zerodb_server)
    record = fact("ROAS fell on Meta", agent="analyst", tags=("meta", "roas"), importance=0.9)

    memory_id = store.remember(record)

    (request,) = zerodb_server.requests
    assert (request.method, request.path) == ("PUT", VECTORS)
    assert request.headers["x-api-key"] == API_KEY
    assert "authorization" not in request.headers
    assert request.body["namespace"] == "mi-memory/t1"
    (item,) = request.body["items"]
    assert item["id"] == memory_id == record.id
    assert len(item["vector"]) == 384
    assert item["metadata"] == {
        "tenant_id": "t1",
        "agent": "analyst",
        "session": None,
        "kind": "fact",
        "tags": ["meta", "roas"],
        "embedder": "test-word-hash",
        "record": record.model_dump(mode="json"),
    }


def test_remembering_twice_keeps_one_memory(zerodb_server: StandInZeroDB) -> None:
    store = make_store(zerodb_server)
    first = store.remember(fact("Budget moved to TikTok"))
    second = store.remember(fact("Budget moved to TikTok"))
    assert first == second
    assert list(zerodb_server.namespaces["mi-memory/t1"]) == [first]


def test_recall_sends_a_tenant_filtered_search_and_reads_the_results(
    zerodb_server: StandInZeroDB,
) -> None:
    store = make_store(zerodb_server)
    store.remember_many([fact("checkout failures on Shopify"), fact("email open rate rose")])
    zerodb_server.requests.clear()

    recalled = store.recall("shopify checkout failures", 2, MemoryFilter(tenant="t1", kind="fact"))

    (request,) = zerodb_server.requests
    assert (request.method, request.path) == ("POST", VECTORS + "/search")
    body = request.body
    assert body["vector"] == WordHashEmbeddings().embed_query("shopify checkout failures")
    assert {k: v for k, v in body.items() if k != "vector"} == {
        "top_k": 8,
        "namespace": "mi-memory/t1",
        "filter": {"tenant_id": "t1", "embedder": "test-word-hash", "kind": "fact"},
        "include_metadata": True,
    }
    assert recalled[0].record.content == "checkout failures on Shopify"
    assert recalled[0].score > recalled[1].score


def test_the_vectors_variant_of_the_search_answer_is_accepted(zerodb_server: StandInZeroDB) -> None:
    zerodb_server.results_key = "vectors"
    store = make_store(zerodb_server)
    store.remember(fact("cart abandonment up"))
    recalled = store.recall("cart abandonment", 1, MemoryFilter(tenant="t1"))
    assert [memory.record.content for memory in recalled] == ["cart abandonment up"]
    assert store.list(MemoryFilter(tenant="t1")).records[0].content == "cart abandonment up"


def test_an_answer_without_results_is_an_error_naming_the_endpoint(
    zerodb_server: StandInZeroDB,
) -> None:
    zerodb_server.faults.append(Fault(status=200, body=b'{"matches": []}'))
    with pytest.raises(ZeroDBError, match="vectors/search answered without a `results`"):
        make_store(zerodb_server).recall("x", 1, MemoryFilter(tenant="t1"))


def test_a_server_that_ignores_the_filter_still_cannot_leak_another_tenant(
    zerodb_server: StandInZeroDB,
) -> None:
    store = make_store(zerodb_server)
    store.remember(fact("tenant one's secret plan", tenant="t1"))
    other = store.remember(fact("tenant two's secret plan", tenant="t2"))
    # Both in one namespace and a server that ignores filters: the worst case.
    zerodb_server.namespaces["mi-memory/t1"].update(zerodb_server.namespaces.pop("mi-memory/t2"))
    zerodb_server.ignore_filters = True

    recalled = store.recall("secret plan", 5, MemoryFilter(tenant="t1"))
    listed = store.list(MemoryFilter(tenant="t1")).records

    assert [memory.record.tenant for memory in recalled] == ["t1"]
    assert [record.tenant for record in listed] == ["t1"]
    assert store.get(other, tenant="t1") is None
    assert store.forget(other, tenant="t1") is False
    assert other in zerodb_server.namespaces["mi-memory/t1"]


def test_get_and_forget_address_the_vector_in_the_tenants_namespace(
    zerodb_server: StandInZeroDB,
) -> None:
    store = make_store(zerodb_server)
    memory_id = store.remember(fact("weekly report sent"))
    zerodb_server.requests.clear()

    got = store.get(memory_id, tenant="t1")
    assert got is not None and (got.id, got.content) == (memory_id, "weekly report sent")
    assert store.get(memory_id, tenant="t2") is None
    assert store.forget(memory_id, tenant="t1") is True
    assert store.get(memory_id, tenant="t1") is None
    assert store.forget(memory_id, tenant="t1") is False

    sent = [(r.method, r.path, r.query) for r in zerodb_server.requests]
    by_id = f"{VECTORS}/{memory_id}"
    assert sent[:4] == [
        ("GET", by_id, {"namespace": "mi-memory/t1"}),
        ("GET", by_id, {"namespace": "mi-memory/t2"}),
        ("GET", by_id, {"namespace": "mi-memory/t1"}),
        ("DELETE", by_id, {"namespace": "mi-memory/t1"}),
    ]


def test_list_pages_with_limit_and_offset(zerodb_server: StandInZeroDB) -> None:
    store = make_store(zerodb_server)
    store.remember_many([fact(f"note {n}") for n in range(5)])
    zerodb_server.requests.clear()

    first = store.list(MemoryFilter(tenant="t1"), limit=2)
    second = store.list(MemoryFilter(tenant="t1"), limit=2, cursor=first.next_cursor)
    third = store.list(MemoryFilter(tenant="t1"), limit=2, cursor=second.next_cursor)

    assert [r.query for r in zerodb_server.requests] == [
        {"namespace": "mi-memory/t1", "limit": "2", "offset": str(offset)} for offset in (0, 2, 4)
    ]
    contents = [r.content for page in (first, second, third) for r in page.records]
    assert sorted(contents) == [f"note {n}" for n in range(5)]
    assert third.next_cursor is None


def test_429_waits_as_long_as_retry_after_says(zerodb_server: StandInZeroDB) -> None:
    zerodb_server.faults.append(Fault(status=429, headers={"Retry-After": "7"}))
    sleeps = Sleeps()
    make_store(zerodb_server, sleeps).remember(fact("rate limited once"))
    assert sleeps == [7.0]
    assert [r.method for r in zerodb_server.requests] == ["PUT", "PUT"]
    assert len(zerodb_server.namespaces["mi-memory/t1"]) == 1


def test_retry_after_as_an_http_date(zerodb_server: StandInZeroDB) -> None:
    when = email.utils.formatdate(time.time() + 60, usegmt=True)
    zerodb_server.faults.append(Fault(status=503, headers={"Retry-After": when}))
    sleeps = Sleeps()
    make_store(zerodb_server, sleeps).remember(fact("unavailable once"))
    assert len(sleeps) == 1
    assert 28 <= sleeps[0] <= 30  # capped at max_wait_s


def test_5xx_is_retried_with_jittered_exponential_backoff_then_reported(
    zerodb_server: StandInZeroDB,
) -> None:
    zerodb_server.faults.extend(Fault(status=500) for _ in range(3))
    sleeps = Sleeps()
    with pytest.raises(ZeroDBError) as caught:
        make_store(zerodb_server, sleeps).remember(fact("server down"))
    message = str(caught.value)
    assert f"PUT {VECTORS} answered 500 after 3 attempts: scripted failure" in message
    assert API_KEY not in message
    assert caught.value.status == 500
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_other_4xx_are_not_retried(zerodb_server: StandInZeroDB) -> None:
    zerodb_server.faults.append(Fault(status=422, body=b'{"detail": "namespace: invalid"}'))
    sleeps = Sleeps()
    with pytest.raises(ZeroDBError, match=f"PUT {VECTORS} answered 422: namespace: invalid$"):
        make_store(zerodb_server, sleeps).remember(fact("bad request"))
    assert sleeps == []
    assert len(zerodb_server.requests) == 1


def test_a_wrong_key_names_the_setting_not_the_key(zerodb_server: StandInZeroDB) -> None:
    wrong = "wrong-key-987654"
    with pytest.raises(ZeroDBError) as caught:
        make_store(zerodb_server, key=wrong).remember(fact("who am I"))
    assert "answered 401" in str(caught.value)
    assert "MI_ZERODB_API_KEY" in str(caught.value)
    assert wrong not in str(caught.value) and API_KEY not in str(caught.value)


def test_a_timeout_is_retried(zerodb_server: StandInZeroDB) -> None:
    zerodb_server.faults.append(Fault(status=200, body=b"{}", delay_s=1.0))
    sleeps = Sleeps()
    store = make_store(zerodb_server, sleeps, timeout_s=0.2)
    store.remember(fact("slow once"))
    assert len(sleeps) == 1
    assert len(zerodb_server.namespaces["mi-memory/t1"]) == 1


def test_timeouts_on_every_attempt_are_reported(zerodb_server: StandInZeroDB) -> None:
    zerodb_server.faults.extend(Fault(status=200, body=b"{}", delay_s=1.0) for _ in range(3))
    with pytest.raises(
        ZeroDBError, match=r"/vectors/search failed after 3 attempts: the request timed out"
    ):
        make_store(zerodb_server, timeout_s=0.2).recall("slow", 1, MemoryFilter(tenant="t1"))


def test_malformed_json_is_an_error_naming_the_endpoint(zerodb_server: StandInZeroDB) -> None:
    zerodb_server.faults.append(Fault(status=200, body=b"<html>gateway</html>"))
    with pytest.raises(
        ZeroDBError, match=r"/vectors/search answered 200 with a body that is not JSON"
    ):
        make_store(zerodb_server).recall("anything", 3, MemoryFilter(tenant="t1"))


def test_a_refused_connection_is_retried_then_reported() -> None:
    sleeps = Sleeps()
    retry = RetryPolicy(attempts=2, sleep=sleeps)
    client = ZeroDBClient(
        base_url="http://127.0.0.1:9", api_key=API_KEY, project_id=PROJECT_ID, retry=retry
    )
    store = ZeroDBMemoryStore(client, WordHashEmbeddings())  # type: ignore[arg-type]
    with pytest.raises(ZeroDBError, match="failed after 2 attempts: the connection failed"):
        store.remember(fact("nobody home"))
    assert len(sleeps) == 1


def test_zerodb_without_key_or_project_is_a_config_error_naming_them() -> None:
    with pytest.raises(ConfigError, match="MI_ZERODB_API_KEY and MI_ZERODB_PROJECT_ID"):
        load_settings(memory_backend="zerodb")
    with pytest.raises(ConfigError, match="needs MI_ZERODB_PROJECT_ID"):
        load_settings(memory_backend="zerodb", zerodb_api_key="k")
