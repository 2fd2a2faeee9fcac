"""The template flows: one entry per flow, shared by the builders, `mi flows`, the tests and any
caller of Langflow's run API. `FlowSpec` is what every flow has (endpoint, gallery card, the
Chat Output a headless run answers with); `AnalysisFlowSpec` adds an analysis template.

Every registered analysis template (`marketing_intel.analysis_templates`) has one analysis flow.
Every analysis flow has the same shape and the same node ids, so a caller sets the tenant and
the window the same way for all of them (`AnalysisFlowSpec.tweaks`):

    ChatInput-tenant -> <template node> -> ZeroDBMemoryStore-memory -> ChatOutput-report
    InsightCache-cache ->               -> ChatOutput-narrative  (the report as markdown)

The cache serves a fresh stored report instead of re-running the template; the memory store
remembers each insight for agents (idempotently: a re-run stores nothing twice) and passes the
report on, as compact JSON text, to ChatOutput-report (its status lists the stored ids).

brand-voice-check scores a draft (the chat message) against one tenant's brand:

    ChatInput-draft -> BrandVoiceSearch-search -> ChatOutput-score    (the score as JSON)
                                               -> ChatOutput-verdict  (the verdict as text)
                                               -> ChatOutput-nearest  (the nearest exemplars)

marketing-analyst-agent is a Langflow Agent whose tools are our BigQuery Query, Memory Recall
and Brand Search nodes, with Chat Memory (ZeroDB) as its conversation memory (read
into its instructions; the question and the answer of each turn written back); its model key is
a global variable name (OPENAI_API_KEY), resolved at run time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from marketing_intel.analysis_templates import RegistryView
from marketing_intel.errors import MarketingIntelError
from marketing_intel.template_spec import TemplateSpec

# Node ids (Langflow's "<Type>-<suffix>" convention; stable, so API tweaks can name them).
TENANT_NODE = "ChatInput-tenant"
TEMPLATE_NODE = "AnalysisTemplate-template"
REPORT_NODE = "ChatOutput-report"
NARRATIVE_NODE = "ChatOutput-narrative"
CACHE_NODE = "InsightCache-cache"
MEMORY_NODE = "ZeroDBMemoryStore-memory"
# The template node's fields a caller may set over the API (the flow declares them
# `api_editable`, so under LANGFLOW_TWEAKS_POLICY=declared nothing else can be tweaked).
WINDOW_FIELDS = ("days", "start_date", "end_date", "options")
# brand-voice-check's nodes; the search node's scope fields a caller may set over the API.
DRAFT_NODE = "ChatInput-draft"
BRAND_SEARCH_NODE = "BrandVoiceSearch-search"
SCORE_NODE = "ChatOutput-score"
VERDICT_NODE = "ChatOutput-verdict"
NEAREST_NODE = "ChatOutput-nearest"
BRAND_FIELDS = ("tenant_id", "brand", "k")
# marketing-analyst-agent's nodes.
QUESTION_NODE = "ChatInput-question"
AGENT_NODE = "Agent-analyst"
ANSWER_NODE = "ChatOutput-answer"
QUERY_TOOL_NODE = "BigQueryQuery-tool"
RECALL_TOOL_NODE = "ZeroDBMemoryRecall-tool"
BRAND_TOOL_NODE = "BrandVoiceSearch-tool"
CHAT_MEMORY_NODE = "ZeroDBChatMemory-chat"
HISTORY_NODE = "Memory-history"
# Message History nodes in Store mode: each turn written back to the Chat Memory.
STORE_QUESTION_NODE = "Memory-store-question"
STORE_ANSWER_NODE = "Memory-store-answer"
INSTRUCTIONS_NODE = "Prompt-instructions"
# The global variable (or, headless, environment variable) holding the agent's model key.
MODEL_KEY_VARIABLE = "OPENAI_API_KEY"
# Flow ids are uuid5 of the endpoint name in this namespace: stable across exports.
FLOW_ID_NAMESPACE = uuid.UUID("5d1c3c51-4a4e-4b83-9d55-6f0f6b1c1e28")


class FlowError(MarketingIntelError):
    """A flow that does not exist, cannot be found on disk or did not run."""


@dataclass(frozen=True)
class WindowChoice:
    """The window a caller asks for: the last `days` days, or `start`..`end` (YYYY-MM-DD)."""

    days: int | None = None
    start: str | None = None
    end: str | None = None

    def fields(self) -> dict[str, Any]:
        """The template node's window fields for this choice (the other ones cleared)."""
        if self.start or self.end:
            return {"start_date": self.start or "", "end_date": self.end or ""}
        return {"days": self.days or 28, "start_date": "", "end_date": ""}


@dataclass(frozen=True)
class FlowSpec:
    """One flow: its endpoint (also its file name), its gallery card, and the Chat Output a
    headless run (`lfx run`, which answers with one output) keeps."""

    endpoint: str
    title: str
    description: str
    tags: tuple[str, ...]
    answer_node: str

    @property
    def flow_id(self) -> str:
        """The flow's stable top-level id."""
        return str(uuid.uuid5(FLOW_ID_NAMESPACE, self.endpoint))

    @property
    def file_name(self) -> str:
        """The exported JSON's file name under `flows/`."""
        return f"{self.endpoint}.json"


@dataclass(frozen=True, kw_only=True)
class AnalysisFlowSpec(FlowSpec):
    """An analysis flow: a `FlowSpec` that runs the analysis template `template` in the node
    class `<component>Component`."""

    template: str
    component: str
    answer_node: str = REPORT_NODE

    def tweaks(self, tenant: str, window: WindowChoice) -> dict[str, dict[str, Any]]:
        """Langflow run-API tweaks that set the tenant and the window."""
        return {TENANT_NODE: {"input_value": tenant}, TEMPLATE_NODE: window.fields()}

    @classmethod
    def of(cls, spec: TemplateSpec) -> AnalysisFlowSpec:
        """The flow of the registered template `spec`."""
        return cls(
            endpoint=spec.flow.endpoint,
            title=spec.flow.title,
            description=spec.flow.description,
            tags=spec.flow.tags,
            template=spec.name,
            component=spec.node.name,
        )


# One flow per registered template (see `marketing_intel.analysis_templates`), by endpoint.
ANALYSIS_FLOWS: RegistryView[str, AnalysisFlowSpec] = RegistryView(
    lambda specs: {spec.flow.endpoint: AnalysisFlowSpec.of(spec) for spec in specs.values()}
)


@dataclass(frozen=True, kw_only=True)
class ChatFlowSpec(FlowSpec):
    """A flow that answers a chat message (a draft, a question) for one tenant: the message
    goes to `input_node`, the tenant to the `tenant_id` of `tenant_nodes`, the brand to the
    `brand` of `brand_nodes`."""

    input_node: str
    tenant_nodes: tuple[str, ...]
    brand_nodes: tuple[str, ...] = ()

    def tweaks(self, text: str, tenant: str, brand: str = "") -> dict[str, dict[str, Any]]:
        """Langflow run-API tweaks that set the message, the tenant and the brand."""
        tweaks: dict[str, dict[str, Any]] = {self.input_node: {"input_value": text}}
        for node in self.tenant_nodes:
            tweaks.setdefault(node, {})["tenant_id"] = tenant
        for node in self.brand_nodes:
            tweaks.setdefault(node, {})["brand"] = brand
        return tweaks


BRAND_VOICE_FLOW = ChatFlowSpec(
    endpoint="brand-voice-check",
    title="Brand Voice Check",
    description=(
        "Score how on-brand a draft is (0-100, calibrated on the brand's approved copy), with "
        "the verdict and the nearest exemplars. Set the tenant and brand, then type a draft."
    ),
    tags=("marketing", "brand voice", "copy"),
    answer_node=SCORE_NODE,
    input_node=DRAFT_NODE,
    tenant_nodes=(BRAND_SEARCH_NODE,),
    brand_nodes=(BRAND_SEARCH_NODE,),
)
AGENT_FLOW = ChatFlowSpec(
    endpoint="marketing-analyst-agent",
    title="Marketing Analyst Agent",
    description=(
        "An agent that answers questions about one tenant's marketing with read-only lake "
        f"queries, its remembered insights and brand-voice checks. Needs {MODEL_KEY_VARIABLE}."
    ),
    tags=("marketing", "agents", "analysis"),
    answer_node=ANSWER_NODE,
    input_node=QUESTION_NODE,
    tenant_nodes=(QUERY_TOOL_NODE, RECALL_TOOL_NODE, BRAND_TOOL_NODE, CHAT_MEMORY_NODE),
    brand_nodes=(BRAND_TOOL_NODE,),
)
# Every flow, analysis flows first.
FLOWS: RegistryView[str, FlowSpec] = RegistryView(
    lambda specs: {
        **ANALYSIS_FLOWS,
        BRAND_VOICE_FLOW.endpoint: BRAND_VOICE_FLOW,
        AGENT_FLOW.endpoint: AGENT_FLOW,
    }
)


def flow_spec(name: str) -> FlowSpec:
    """The flow called `name` (its endpoint name)."""
    try:
        return FLOWS[name]
    except KeyError:
        raise FlowError(f"There is no flow {name!r}; choose one of {', '.join(FLOWS)}.") from None
