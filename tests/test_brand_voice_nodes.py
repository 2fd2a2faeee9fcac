"""The brand-voice nodes and the Local Embedder node, run by lfx as Langflow runs them, on the
embedded index of the test's folder (./.mi)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from lfx.schema.dataframe import DataFrame

from components.marketing_intel.brand_voice import (
    BrandVoiceIndexComponent,
    BrandVoiceSearchComponent,
)
from components.marketing_intel.local_embeddings import LocalEmbeddingsComponent
from marketing_intel.embeddings import LocalEmbeddings

VOICES = json.loads((Path(__file__).parent / "data" / "brand_voices.json").read_text())["brands"]
BANK = VOICES["lumen-bank"]


def index_node(**inputs: object) -> BrandVoiceIndexComponent:
    node = BrandVoiceIndexComponent()
    node.set(tenant_id="acme", brand="lumen-bank", **inputs)
    return node


def test_index_then_search_with_the_default_embedder() -> None:
    lines = "\n".join(BANK["exemplars"][:15])
    table = DataFrame([{"text": t, "channel": "email"} for t in BANK["exemplars"][15:]])
    results, _ = asyncio.run(index_node(exemplar_text=lines, exemplar_rows=[table]).build_results())
    assert results["report"].data["written"] == 20
    assert results["report"].data["by_brand"] == {"acme/lumen-bank": 20}

    search = BrandVoiceSearchComponent()
    search.set(tenant_id="acme", brand="lumen-bank", draft=BANK["on_brand"][0], k=2)
    results, _ = asyncio.run(search.build_results())
    score = results["score"].data
    assert score["reliable"] and score["label"] == "on brand" and score["exemplar_count"] == 20
    assert list(results["nearest"].columns[:3]) == ["id", "score", "text"]
    assert len(results["nearest"]) == 2
    assert results["verdict"].text.startswith("On brand")


def test_search_is_an_agent_tool_with_only_the_draft_as_argument() -> None:
    search = BrandVoiceSearchComponent()
    search.set(tenant_id="acme", brand="lumen-bank")
    tools = asyncio.run(search.to_toolkit())
    assert tools and all(set(tool.args) == {"draft"} for tool in tools)


def test_index_reads_a_file_and_reports_bad_input_in_one_sentence(tmp_path: Path) -> None:
    csv_file = tmp_path / "copy.csv"
    csv_file.write_text("text,channel,tags\nWe are here to help.,email,care;support\n")
    results, _ = asyncio.run(index_node(exemplar_file=str(csv_file)).build_results())
    assert results["report"].data["written"] == 1
    with pytest.raises(Exception, match="No exemplars given"):
        asyncio.run(index_node().build_results())
    node = index_node(exemplar_text="Some copy.")
    node.set(tenant_id="bad tenant!")
    with pytest.raises(Exception, match="tenant"):
        asyncio.run(node.build_results())


def test_local_embeddings_node_gives_the_offline_embedder() -> None:
    node = LocalEmbeddingsComponent()
    embeddings = node.build_embeddings()
    assert isinstance(embeddings, LocalEmbeddings)
    assert len(embeddings.embed_query("hello")) == 384
