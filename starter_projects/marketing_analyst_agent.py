"""The marketing-analyst-agent flow: a Langflow Agent whose tools are our nodes, with ZeroDB
Chat Memory as its conversation memory: read before the agent answers, and each turn (the
question, then the answer) written back to it, Langflow's Message Store pattern."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lfx.base.tools.constants import TOOL_OUTPUT_DISPLAY_NAME, TOOL_OUTPUT_NAME
from lfx.components.input_output import ChatInput, ChatOutput
from lfx.components.models_and_agents import AgentComponent, MemoryComponent, PromptComponent
from lfx.custom.custom_component.component import Component
from lfx.graph import Graph
from lfx.io import Output

from components.marketing_intel.bigquery_query import BigQueryQueryComponent
from components.marketing_intel.brand_voice import BrandVoiceSearchComponent
from components.marketing_intel.zerodb_memory import (
    ZeroDBChatMemoryComponent,
    ZeroDBMemoryRecallComponent,
)
from marketing_intel.flows import (
    AGENT_FLOW,
    AGENT_NODE,
    ANSWER_NODE,
    BRAND_TOOL_NODE,
    CHAT_MEMORY_NODE,
    HISTORY_NODE,
    INSTRUCTIONS_NODE,
    MODEL_KEY_VARIABLE,
    QUERY_TOOL_NODE,
    QUESTION_NODE,
    RECALL_TOOL_NODE,
    STORE_ANSWER_NODE,
    STORE_QUESTION_NODE,
)

SPEC = AGENT_FLOW
# The question, and the tenant of every tenant-scoped node (the brand for brand checks). Agents
# never set these: they are node fields, not tool arguments.
API_EDITABLE = {
    QUESTION_NODE: ("input_value",),
    QUERY_TOOL_NODE: ("tenant_id",),
    RECALL_TOOL_NODE: ("tenant_id",),
    BRAND_TOOL_NODE: ("tenant_id", "brand"),
    CHAT_MEMORY_NODE: ("tenant_id",),
}
# Secret fields exported as global-variable names, resolved at run time.
VARIABLES = {AGENT_NODE: {"api_key": MODEL_KEY_VARIABLE}}

MODEL = "gpt-4o-mini"
INSTRUCTIONS = """You are a marketing analyst for one tenant. Answer with numbers you looked up.
- Query the marketing lake (BigQuery SQL over platform_events, campaign_metrics,
  integration_raw_data, audience_insights) with the BigQuery Query tool; rows are limited to
  the tenant automatically.
- Recall earlier insights about the tenant with the Memory Recall tool.
- Check marketing copy against the brand's voice with the Brand Search tool.
Say which tool each number comes from, and say so when the data cannot answer.

The conversation so far:
{history}"""


def graph() -> Graph:
    """`ChatInput-question -> Agent-analyst -> ChatOutput-answer`, the agent's tools being
    BigQuery Query, Memory Recall and Brand Search, and its instructions carrying
    the conversation recalled from Chat Memory (ZeroDB; through Message History).

    Two Message History nodes in Store mode write the turn back to the same Chat Memory: the
    question (beside the history read, so the agent may see it there too: the same words), and
    the answer once the agent has given it. Langflow runs a flow layer by layer, so the question
    is always stored before the answer."""
    question = ChatInput(_id=QUESTION_NODE)
    chat_memory = ZeroDBChatMemoryComponent(_id=CHAT_MEMORY_NODE)
    chat_memory.set(tenant_id="")
    history = MemoryComponent(_id=HISTORY_NODE)
    history.set(memory=chat_memory.build_message_history, mode="Retrieve", n_messages=20)
    instructions = PromptComponent(_id=INSTRUCTIONS_NODE)
    instructions.set(template=INSTRUCTIONS, history=history.retrieve_messages_as_text)
    query = BigQueryQueryComponent(_id=QUERY_TOOL_NODE)
    query.set(tenant_id="")
    recall = ZeroDBMemoryRecallComponent(_id=RECALL_TOOL_NODE)
    recall.set(tenant_id="")
    brand = BrandVoiceSearchComponent(_id=BRAND_TOOL_NODE)
    brand.set(tenant_id="", brand="")
    agent = AgentComponent(_id=AGENT_NODE)
    agent.set(
        # The model a user starts from; the key is the global variable MODEL_KEY_VARIABLE.
        model=[{"name": MODEL, "provider": "OpenAI", "metadata": {}}],
        input_value=question.message_response,
        system_prompt=instructions.build_prompt,
        tools=[as_tool(query), as_tool(recall), as_tool(brand)],
        # The conversation comes from ZeroDB Chat Memory, not Langflow's own message table.
        n_messages=0,
        add_current_date_tool=False,
        add_calculator_tool=False,
    )
    answer = ChatOutput(_id=ANSWER_NODE)
    answer.set(input_value=agent.message_response, sender_name="Analyst")
    store_question = message_store(STORE_QUESTION_NODE, question.message_response, "User")
    store_answer = message_store(STORE_ANSWER_NODE, agent.message_response, "Machine")
    for store in (store_question, store_answer):
        store.set(memory=chat_memory.build_message_history)

    graph = Graph()
    components: list[Component] = [question, chat_memory, history, instructions, query, recall]
    for component in (*components, brand, agent, answer, store_question, store_answer):
        graph.add_component(component)
    graph.prepare(start_component_id=question.get_id())
    return graph


def message_store(node_id: str, message: Callable[[], Any], sender: str) -> MemoryComponent:
    """A Message History node in Store mode, as choosing Store in the canvas leaves it: the
    Store output and fields; it stores `message` as sent by `sender` (User or Machine)."""
    store = MemoryComponent(_id=node_id)
    store.outputs = store.update_outputs({}, "mode", "Store")["outputs"]
    store.map_outputs()
    shown = {*MemoryComponent.mode_config["Store"], *MemoryComponent.default_keys}
    for name, field in store._inputs.items():
        field.show = name in shown
    store.set(mode="Store", message=message, sender=sender)
    return store


def as_tool(component: Component) -> Callable[[], Any]:
    """Switch `component` to tool mode, as the canvas's Tool Mode toggle does: its only output
    is the toolset (one tool, whose arguments are the component's `tool_mode` inputs)."""
    component.outputs = [
        Output(
            name=TOOL_OUTPUT_NAME,
            display_name=TOOL_OUTPUT_DISPLAY_NAME,
            method="to_toolkit",
            types=["Tool"],
        )
    ]
    component.map_outputs()
    return component.to_toolkit
