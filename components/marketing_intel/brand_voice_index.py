"""The "Brand Voice Index" node: add a brand's approved copy (text, a list, a table or a file)
to the brand-voice index; the same copy indexed again replaces itself (no duplicates)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lfx.custom.custom_component.component import Component
from lfx.io import FileInput, HandleInput, MessageTextInput, MultilineInput, Output
from lfx.schema.data import Data

from components.marketing_intel._brand_voice_backend import BrandVoiceBackendMixin, user_message


class BrandVoiceIndexComponent(BrandVoiceBackendMixin, Component):
    """Indexes exemplars of one tenant's brand and reports how many were written."""

    display_name = "Brand Voice Index"
    description = (
        "Index a brand's approved copy (one exemplar per line, a list, a table with a 'text' "
        "column, or a .txt/.csv/.jsonl file) for brand-voice search and scoring."
    )
    icon = "book-open-check"
    name = "BrandVoiceIndex"
    metadata = {"keywords": ["brand voice", "pinecone", "exemplars", "copy", "index"]}

    inputs = [
        *BrandVoiceBackendMixin.scope_inputs,
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
        *BrandVoiceBackendMixin.backend_inputs,
    ]

    outputs = [Output(display_name="Report", name="report", method="index_exemplars")]

    def index_exemplars(self) -> Data:
        """Upsert the exemplars; the report counts them per brand and names the embedder."""
        from marketing_intel.brand_voice import BrandVoiceError
        from marketing_intel.config import ConfigError

        tenant, brand = self._scope()
        try:
            exemplars = self._exemplars(tenant, brand)
            if not exemplars:
                raise ValueError("No exemplars given: type copy, connect rows or choose a file.")
            index = self._open_index()
            try:
                report = index.upsert(exemplars)
            finally:
                index.close()
        except (BrandVoiceError, ConfigError) as error:
            raise user_message(error) from None
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
