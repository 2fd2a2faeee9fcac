"""The "Brand Voice Search" node: score a draft against a brand's approved copy and find the
nearest exemplars. Usable as an agent tool: the draft is the tool's only argument."""

from __future__ import annotations

from typing import Any

from lfx.custom.custom_component.component import Component
from lfx.io import IntInput, MultilineInput, Output
from lfx.schema.data import Data
from lfx.schema.dataframe import DataFrame
from lfx.schema.message import Message

from components.marketing_intel._brand_voice_backend import BrandVoiceBackendMixin, user_message


class BrandVoiceSearchComponent(BrandVoiceBackendMixin, Component):
    """Scores a draft (0-100, on brand / borderline / off brand) with its reasons."""

    display_name = "Brand Voice Search"
    description = (
        "Score how on-brand a draft is (0-100, calibrated on the brand's own approved copy), "
        "with the nearest exemplars and the traits that differ."
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
        *BrandVoiceBackendMixin.scope_inputs,
        IntInput(
            name="k",
            display_name="Nearest Exemplars",
            info="How many of the closest approved exemplars to return.",
            value=3,
        ),
        *BrandVoiceBackendMixin.backend_inputs,
    ]

    outputs = [
        Output(display_name="Score", name="score", method="score_draft"),
        Output(display_name="Nearest Exemplars", name="nearest", method="nearest_exemplars"),
        Output(display_name="Verdict", name="verdict", method="verdict"),
    ]

    _scorings: dict[str, Any] | None = None

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

    def _score(self) -> Any:
        # The three outputs come from one scoring; an agent may call again with another draft.
        key = repr([getattr(self, field.name or "", None) for field in self.inputs])
        if self._scorings is None or key not in self._scorings:
            self._scorings = {key: self._compute()}
        return self._scorings[key]

    def _compute(self) -> Any:
        from marketing_intel.brand_voice import BrandVoiceError
        from marketing_intel.config import ConfigError

        tenant, brand = self._scope()
        try:
            index = self._open_index()
            try:
                result = index.score(str(self.draft or ""), tenant=tenant, brand=brand, k=self.k)
            finally:
                index.close()
        except (BrandVoiceError, ConfigError, ValueError) as error:
            raise user_message(error) from None
        self.status = result.summary
        return result
