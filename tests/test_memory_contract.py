"""One behavioural contract, run against both memory stores: the embedded `LocalMemoryStore`
and `ZeroDBMemoryStore` over real HTTP against our stand-in for ZeroDB (`tests/zerodb_standin.py`;
ZeroDB itself cannot run here). Both embed with the offline MiniLM model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from marketing_intel.embeddings import EmbedderIdentity, local_embeddings
from marketing_intel.memory import MemoryFilter, MemoryRecord, MemoryStore
from marketing_intel.memory.known_vectors import KnownVectors
from marketing_intel.memory.local_store import LocalMemoryStore
from marketing_intel.memory.zerodb_client import RetryPolicy, ZeroDBClient
from marketing_intel.memory.zerodb_store import ZeroDBMemoryStore
from tests.zerodb_standin import API_KEY, PROJECT_ID, StandInZeroDB

NOW = dt.datetime.now(dt.UTC)

FACTS = [
    "Meta campaign ROAS dropped 40% after the creative refresh on Tuesday.",
    "Shopify checkout webhooks failed for three hours because of an expired secret.",
    "The loyalty email segment doubled its open rate since the subject line test.",
    "TikTok spend is capped by the daily budget before noon every day.",
    "Customers in the 25-34 audience convert best on weekends.",
    "Refund requests spiked after the shipping delay announcement.",
]
PARAPHRASES = [
    ("return on ad spend fell for Facebook ads once new creatives went live", 0),
    ("order webhooks from the store stopped working because a signing key expired", 1),
    ("newsletter opens went up for loyal customers", 2),
    ("we run out of TikTok budget in the morning", 3),
    ("which age group buys most on Saturdays and Sundays", 4),
    ("more people asked for their money back after shipping was late", 5),
]


@pytest.fixture(params=["local", "zerodb"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, zerodb_server: StandInZeroDB
) -> Iterator[MemoryStore]:
    """Each store, empty, embedding with the offline model."""
    if request.param == "local":
        opened: MemoryStore = LocalMemoryStore(tmp_path / "memory.sqlite", local_embeddings())
    else:
        client = ZeroDBClient(
            base_url=zerodb_server.url,
            api_key=API_KEY,
            project_id=PROJECT_ID,
            retry=RetryPolicy(attempts=1),
        )
        opened = ZeroDBMemoryStore(client, local_embeddings())
    yield opened
    opened.close()


def memory(text: str, tenant: str = "t1", **fields: object) -> MemoryRecord:
    return MemoryRecord(tenant=tenant, content=text, **fields)  # type: ignore[arg-type]


def test_a_paraphrase_recalls_its_memory_first(store: MemoryStore) -> None:
    store.remember_many([memory(text) for text in FACTS])
    for query, expected in PARAPHRASES:
        top = store.recall(query, 3, MemoryFilter(tenant="t1"))
        assert top[0].record.content == FACTS[expected], query
        assert top[0].score > top[1].score


def test_a_recall_never_returns_another_tenants_memory(store: MemoryStore) -> None:
    store.remember_many([memory(text, tenant="t1") for text in FACTS])
    theirs = store.remember(memory("Shopify checkout webhooks failed", tenant="t2"))

    recalled = store.recall("Shopify checkout webhooks failed", 10, MemoryFilter(tenant="t2"))
    assert [m.id for m in recalled] == [theirs]
    mine = store.recall("Shopify checkout webhooks failed", 10, MemoryFilter(tenant="t1"))
    assert theirs not in {m.id for m in mine} and {m.record.tenant for m in mine} == {"t1"}
    assert store.get(theirs, tenant="t1") is None
    assert store.forget(theirs, tenant="t1") is False
    assert store.get(theirs, tenant="t2") is not None
    assert [r.tenant for r in store.list(MemoryFilter(tenant="t2")).records] == ["t2"]


def test_the_same_text_for_two_tenants_is_two_memories(store: MemoryStore) -> None:
    first = store.remember(memory("Budget moves to email", tenant="t1"))
    second = store.remember(memory("Budget moves to email", tenant="t2"))
    assert first != second
    assert store.forget(first, tenant="t1") is True
    assert store.get(second, tenant="t2") is not None


def test_expired_memories_are_never_returned(store: MemoryStore) -> None:
    gone = store.remember(memory("promo code SPRING ended", expires_at=NOW - dt.timedelta(days=1)))
    kept = store.remember(memory("promo code SUMMER runs", expires_at=NOW + dt.timedelta(days=9)))

    recalled = store.recall("promo code", 5, MemoryFilter(tenant="t1"))
    assert [m.id for m in recalled] == [kept]
    assert store.get(gone, tenant="t1") is None
    assert [r.id for r in store.list(MemoryFilter(tenant="t1")).records] == [kept]


def test_remembering_again_is_idempotent_and_updates_fields(store: MemoryStore) -> None:
    first = store.remember(memory("Pause the Google brand campaign", importance=0.2))
    again = store.remember(memory("Pause the Google brand campaign", importance=0.9, tags=("g",)))
    assert first == again
    (only,) = store.list(MemoryFilter(tenant="t1")).records
    assert (only.importance, only.tags) == (0.9, ("g",))
    assert len(store.recall("google brand campaign", 5, MemoryFilter(tenant="t1"))) == 1


def test_pages_return_every_memory_once(store: MemoryStore) -> None:
    records = [
        memory(f"weekly note number {n}", created_at=NOW + dt.timedelta(seconds=n))
        for n in range(7)
    ]
    store.remember_many(records)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = store.list(MemoryFilter(tenant="t1"), limit=3, cursor=cursor)
        assert len(page.records) <= 3
        seen += [record.content for record in page.records]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [record.content for record in records]


def test_filters_narrow_recall_and_listing(store: MemoryStore) -> None:
    store.remember_many(
        [
            memory("Meta ROAS fell", kind="insight", session="s1", tags=("meta", "roas")),
            memory("Meta ROAS fell, said the user", kind="message", session="s2", tags=("meta",)),
            memory("Meta ROAS is reported daily", kind="fact", agent="analyst", tags=("roas",)),
        ]
    )

    def contents(filters: MemoryFilter) -> set[str]:
        return {m.record.content for m in store.recall("Meta ROAS", 5, filters)}

    assert contents(MemoryFilter(tenant="t1", kind="insight")) == {"Meta ROAS fell"}
    assert contents(MemoryFilter(tenant="t1", session="s2")) == {"Meta ROAS fell, said the user"}
    assert contents(MemoryFilter(tenant="t1", agent="analyst")) == {"Meta ROAS is reported daily"}
    assert contents(MemoryFilter(tenant="t1", tags=("meta", "roas"))) == {"Meta ROAS fell"}
    listed = store.list(MemoryFilter(tenant="t1", tags=("roas",))).records
    assert {r.content for r in listed} == {"Meta ROAS fell", "Meta ROAS is reported daily"}


def test_forget_removes_the_memory(store: MemoryStore) -> None:
    memory_id = store.remember(memory("Klaviyo flow paused"))
    assert store.forget(memory_id, tenant="t1") is True
    assert store.get(memory_id, tenant="t1") is None
    assert store.recall("Klaviyo flow", 3, MemoryFilter(tenant="t1")) == []
    assert store.forget(memory_id, tenant="t1") is False


def test_chat_history_keeps_messages_per_session_in_order(store: MemoryStore) -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    from marketing_intel.memory.chat_history import MemoryChatHistory

    first = MemoryChatHistory(store, tenant="t1", session_id="s1")
    second = MemoryChatHistory(store, tenant="t1", session_id="s2")
    other_tenant = MemoryChatHistory(store, tenant="t2", session_id="s1")
    first.add_messages([HumanMessage("hi"), AIMessage("hello, how can I help?")])
    second.add_messages([HumanMessage("what is our ROAS?")])
    first.add_messages([HumanMessage("hi")])  # the same words again are a new message

    assert [(m.type, m.content) for m in first.messages] == [
        ("human", "hi"),
        ("ai", "hello, how can I help?"),
        ("human", "hi"),
    ]
    assert [m.content for m in second.messages] == ["what is our ROAS?"]
    assert other_tenant.messages == []

    first.session_id = ""  # Langflow's Message History passes its blank field: ours stays
    assert first.session_id == "s1"
    first.clear()
    assert first.messages == []
    assert [m.content for m in second.messages] == ["what is our ROAS?"]


class CountingEmbeddings(Embeddings):
    """The offline MiniLM embedder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        self.inner = local_embeddings()
        self.embedder_id = self.inner.embedder_id
        self.dimension = self.inner.dimension
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += texts
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def open_store(
    kind: str, path: Path, zerodb_url: str, embeddings: Embeddings, known: KnownVectors
) -> MemoryStore:
    """A store of `kind` on `path` (local) or the stand-in (zerodb) with its own known vectors."""
    if kind == "local":
        return LocalMemoryStore(path, embeddings, known=known)
    client = ZeroDBClient(
        base_url=zerodb_url, api_key=API_KEY, project_id=PROJECT_ID, retry=RetryPolicy(attempts=1)
    )
    return ZeroDBMemoryStore(client, embeddings, known=known)


@pytest.mark.parametrize("kind", ["local", "zerodb"])
def test_only_new_texts_are_embedded(
    kind: str, tmp_path: Path, zerodb_server: StandInZeroDB
) -> None:
    counting = CountingEmbeddings()
    store = open_store(kind, tmp_path / "m.sqlite", zerodb_server.url, counting, KnownVectors())
    store.remember_many([memory(text) for text in FACTS])
    assert counting.embedded == FACTS

    counting.embedded.clear()
    store.remember_many([memory(text, importance=0.9) for text in FACTS])  # a second run
    store.remember(memory(FACTS[0], session="another run"))  # another id, the same words
    store.remember_many([memory("a new fact"), memory("a new fact", session="s2")])
    assert counting.embedded == ["a new fact"]  # once, though two records carry it
    store.remember(memory(FACTS[1], tenant="t2"))  # no tenant gains from another's vectors
    assert counting.embedded == ["a new fact", FACTS[1]]

    # What was stored without embedding is what embedding would have stored.
    top = store.recall(PARAPHRASES[0][0], 1, MemoryFilter(tenant="t1", session="another run"))
    assert top[0].record.content == FACTS[0]
    fresh = store.recall(PARAPHRASES[0][0], 1, MemoryFilter(tenant="t1", session=None))
    assert top[0].score == pytest.approx(fresh[0].score, abs=1e-6)
    assert store.list(MemoryFilter(tenant="t1")).records[0].importance == 0.9
    store.close()


@pytest.mark.parametrize("kind", ["local", "zerodb"])
def test_a_memory_whose_text_changed_under_its_key_is_embedded_again(
    kind: str, tmp_path: Path, zerodb_server: StandInZeroDB
) -> None:
    counting = CountingEmbeddings()
    store = open_store(kind, tmp_path / "m.sqlite", zerodb_server.url, counting, KnownVectors())
    first = store.remember(memory("Spend is on plan", key="budget-status"))
    second = store.remember(memory("Spend is 30% over plan", key="budget-status"))
    assert first == second
    assert counting.embedded == ["Spend is on plan", "Spend is 30% over plan"]
    top = store.recall("overspending the budget", 1, MemoryFilter(tenant="t1"))
    assert top[0].record.content == "Spend is 30% over plan"
    store.close()


def test_the_embedded_store_finds_stored_vectors_after_a_restart(tmp_path: Path) -> None:
    # A new process knows no vectors: the stored ones are read back by id instead.
    counting = CountingEmbeddings()
    path = tmp_path / "m.sqlite"
    LocalMemoryStore(path, counting, known=KnownVectors()).remember_many(
        [memory(text) for text in FACTS]
    )
    counting.embedded.clear()
    restarted = LocalMemoryStore(path, counting, known=KnownVectors(capacity=0))
    restarted.remember_many([memory(text) for text in FACTS])
    assert counting.embedded == []
    # ...but only the tenant's own: another tenant's same words are embedded for it.
    restarted.remember(memory(FACTS[0], tenant="t2"))
    assert counting.embedded == [FACTS[0]]
    restarted.close()


def test_known_vectors_keep_the_most_recent_per_tenant_and_embedder() -> None:
    known = KnownVectors(capacity=2)
    minilm = EmbedderIdentity("minilm", 3)
    other = EmbedderIdentity("other", 3)
    vector = np.ones(3, dtype=np.float32)
    known.put("t1", minilm, "a", vector)
    known.put("t1", minilm, "b", vector)
    assert known.get("t1", minilm, "a") is vector  # "a" is now the most recent
    known.put("t1", minilm, "c", vector)
    assert known.get("t1", minilm, "b") is None
    assert known.get("t1", minilm, "a") is vector and known.get("t1", minilm, "c") is vector
    assert known.get("t1", other, "a") is None  # another embedder's vector of the same text
    assert known.get("t2", minilm, "a") is None  # another tenant's same words
    assert len(known) == 2
