"""The brand-voice-check flow: a draft in, Brand Search, its score, verdict and nearest
exemplars out."""

from __future__ import annotations

from lfx.components.input_output import ChatInput, ChatOutput
from lfx.graph import Graph

from components.marketing_intel.brand_voice import BrandVoiceSearchComponent
from marketing_intel.flows import (
    BRAND_FIELDS,
    BRAND_SEARCH_NODE,
    BRAND_VOICE_FLOW,
    DRAFT_NODE,
    NEAREST_NODE,
    SCORE_NODE,
    VERDICT_NODE,
)

SPEC = BRAND_VOICE_FLOW
# The draft, and the search node's tenant, brand and number of exemplars.
API_EDITABLE = {DRAFT_NODE: ("input_value",), BRAND_SEARCH_NODE: BRAND_FIELDS}


def graph() -> Graph:
    """`ChatInput-draft -> BrandVoiceSearch-search -> ChatOutput-score, -verdict, -nearest`.

    The draft is the chat message; the tenant and brand are the search node's own fields (set
    them in the canvas, or with run-API tweaks). The index follows the server's MI_ settings.
    """
    draft = ChatInput(_id=DRAFT_NODE)
    search = BrandVoiceSearchComponent(_id=BRAND_SEARCH_NODE)
    search.set(draft=draft.message_response, tenant_id="", brand="", k=3)
    score = ChatOutput(_id=SCORE_NODE)
    score.set(input_value=search.score_draft, sender_name="Score")
    verdict = ChatOutput(_id=VERDICT_NODE)
    verdict.set(input_value=search.verdict, sender_name="Verdict")
    nearest = ChatOutput(_id=NEAREST_NODE)
    nearest.set(input_value=search.nearest_exemplars, sender_name="Nearest Exemplars")

    graph = Graph()
    for component in (draft, search, score, verdict, nearest):
        graph.add_component(component)
    graph.prepare(start_component_id=draft.get_id())
    return graph
