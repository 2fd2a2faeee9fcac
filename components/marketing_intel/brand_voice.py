"""The brand-voice nodes: "Brand Index" (add a brand's approved copy) and "Brand Search"
(score a draft against it, with the nearest exemplars; usable as an agent tool).

Thin adapters over `marketing_intel.brand_voice`. The index (embedded sqlite-vec or Pinecone)
comes from the server's `MI_` settings unless the advanced inputs say otherwise; the Pinecone key
is a Langflow global variable, never a literal. Both nodes take any Embeddings and default to
the offline all-MiniLM-L6-v2 (the "Local Embedder" node).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lfx.custom.custom_component.component import Component
from lfx.io import (
    FileInput,
    HandleInput,
    IntInput,
    MessageTextInput,
    MultilineInput,
    Output,
)
from lfx.schema.data import Data
from lfx.schema.dataframe import DataFrame
from lfx.schema.message import Message
from lfx_marketing_intel.marketing_intel._brand_voice_node import (
    INDEX_INPUTS,
    SCOPE_INPUTS,
    brand_scope,
    brand_voice_index,
)
from lfx_marketing_intel.marketing_intel._node_errors import node_errors
from lfx_marketing_intel.marketing_intel._run_once import run_once


class BrandVoiceIndexComponent(Component):
    """Indexes exemplars of one tenant's brand and reports how many were written."""

    display_name = "Brand Index"
    description = (
        "Index a brand's approved copy (one exemplar per line, a list, a table with a 'text' "
        "column, or a .txt/.csv/.jsonl file) in Pinecone or the embedded index, for brand-voice "
        "search and scoring."
    )
    icon = "book-open-check"
    name = "BrandVoiceIndex"
    metadata = {"keywords": ["brand voice", "pinecone", "exemplars", "copy", "index"]}

    inputs = [
        *SCOPE_INPUTS,
        MultilineInput(
            name="exemplar_text",
            display_name="Exemplars",
            info="Approved copy, one exemplar per line.",
        ),
        HandleInput(
            name="exemplar_rows",
            display_name="Exemplar Rows",
            info="A table, Data list or messages whose 'text' is approved copy.",
            input_types=["DataFrame", "Data", "Message"],
            is_list=True,
            required=False,
        ),
        FileInput(
            name="exemplar_file",
            display_name="Exemplar File",
            file_types=["txt", "csv", "jsonl"],
            info="One exemplar per line (.txt) or a 'text' column (.csv/.jsonl).",
            required=False,
        ),
        MessageTextInput(
            name="channel",
            display_name="Channel",
            info="Where this copy ran (email, ads, push ...); empty: from the rows, else 'any'.",
            advanced=True,
        ),
        *INDEX_INPUTS,
    ]

    outputs = [Output(display_name="Report", name="report", method="index_exemplars")]

    def index_exemplars(self) -> Data:
        """Upsert the exemplars; the report counts them per brand and names the embedder."""
        tenant, brand = brand_scope(self)
        with node_errors():
            exemplars = self._exemplars(tenant, brand)
            if not exemplars:
                raise ValueError("No exemplars given: type copy, connect rows or choose a file.")
            with brand_voice_index(self) as index:
                report = index.upsert(exemplars)
        self.status = f"{report.written} exemplars indexed for {tenant}/{brand}"
        return Data(data=report.model_dump())

    def _exemplars(self, tenant: str, brand: str) -> list[Any]:
        from marketing_intel.brand_voice.exemplar_files import (
            exemplars_from_rows,
            read_exemplar_file,
        )

        channel = str(self.channel or "").strip() or None
        rows: list[dict[str, Any]] = [
            {"text": line} for line in (self.exemplar_text or "").splitlines() if line.strip()
        ]
        connected = self.exemplar_rows
        # Langflow hands over a single connection unwrapped (a DataFrame iterates its columns)
        for item in connected if isinstance(connected, list) else [connected]:
            if item is not None:
                rows.extend(_rows_of(item))
        found = exemplars_from_rows(rows, tenant=tenant, brand=brand, channel=channel)
        if self.exemplar_file:
            path = Path(self.resolve_path(self.exemplar_file))
            found += read_exemplar_file(path, tenant=tenant, brand=brand, channel=channel)
        return found


def _rows_of(item: Any) -> list[dict[str, Any]]:
    """Rows of a DataFrame, a Data or a Message (duck-typed: lfx's types are pandas/pydantic)."""
    if hasattr(item, "to_dict") and hasattr(item, "columns"):
        return list(item.to_dict(orient="records"))
    if hasattr(item, "data") and isinstance(item.data, dict):
        return [dict(item.data)]
    text = getattr(item, "text", None)
    return [{"text": text}] if text else []


class BrandVoiceSearchComponent(Component):
    """Scores a draft (0-100, on brand / borderline / off brand) with its reasons."""

    display_name = "Brand Search"
    description = (
        "Score how on-brand a draft is (0-100, calibrated on the brand's own approved copy), "
        "with the nearest exemplars and the traits that differ (Pinecone or the embedded index)."
    )
    icon = "scan-search"
    name = "BrandVoiceSearch"
    metadata = {"keywords": ["brand voice", "on brand", "tone", "pinecone", "score", "copy"]}

    inputs = [
        MultilineInput(
            name="draft",
            display_name="Draft",
            info="The copy to check against the brand's voice.",
            required=True,
            tool_mode=True,
        ),
        *SCOPE_INPUTS,
        IntInput(
            name="k",
            display_name="Nearest Exemplars",
            info="How many of the closest approved exemplars to return.",
            value=3,
        ),
        *INDEX_INPUTS,
    ]

    # Verdict first: what an analyst reads first. group_outputs: all three handles show at once,
    # so a flow can wire each (the canvas otherwise shows one and drops edges from the others).
    outputs = [
        # Agents get the verdict (its text holds the score and nearest copy); one tool per check.
        Output(display_name="Verdict", name="verdict", method="verdict", group_outputs=True),
        Output(
            display_name="Score",
            name="score",
            method="score_draft",
            tool_mode=False,
            group_outputs=True,
        ),
        Output(
            display_name="Nearest Exemplars",
            name="nearest",
            method="nearest_exemplars",
            tool_mode=False,
            group_outputs=True,
        ),
    ]

    def score_draft(self) -> Data:
        """The whole score: value, label, reliability, nearest exemplars and differences."""
        return Data(data=self._score().model_dump(mode="json"))

    def nearest_exemplars(self) -> DataFrame:
        """The nearest exemplars as a table (id, score, text, channel, tags, approved_at)."""
        return DataFrame([m.model_dump(mode="json") for m in self._score().nearest])

    def verdict(self) -> Message:
        """A short text verdict for people and agents."""
        result = self._score()
        lines = [result.summary]
        lines += [f"- differs: {d}" for d in result.differences]
        if result.unfamiliar_words:
            lines.append("- words the brand never uses: " + ", ".join(result.unfamiliar_words))
        lines += [f"- closest approved copy ({m.score:.2f}): {m.text}" for m in result.nearest]
        return Message(text="\n".join(lines))

    @run_once
    def _score(self) -> Any:
        """The three outputs come from one scoring; an agent may call again with another draft."""
        tenant, brand = brand_scope(self)
        with node_errors(), brand_voice_index(self) as index:
            result = index.score(str(self.draft or ""), tenant=tenant, brand=brand, k=self.k)
        self.status = result.summary
        return result
