"""Agent memory as a result sink: each run's summary, remembered for its tenant.

The memory is an `insight` of agent `<flow>` in session `<job id>`, keyed by the job, so its id
(a hash of tenant, agent, session, kind and key) is the same on every run of the job. A memory
that exists already is left as it is: a re-run of the job (a retry, a worker that died after
storing) changes nothing, and does not pay for embedding the summary again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from marketing_intel.config import Settings
from marketing_intel.jobs.results import FlowRunRecord
from marketing_intel.memory import MemoryRecord, MemoryStore, open_memory_store

FLOW_RUN_TAG = "flow-run"


def run_memory(record: FlowRunRecord) -> MemoryRecord:
    """What agents recall of a run: its summary as text, the summary itself as metadata."""
    return MemoryRecord(
        tenant=record.tenant_id,
        agent=record.flow,
        session=record.job_id,
        kind="insight",
        content=memory_text(record.flow, record.tenant_id, record.summary),
        tags=(FLOW_RUN_TAG, record.flow),
        metadata={"job_id": record.job_id, "flow": record.flow, "summary": record.summary},
        created_at=record.finished_at,
        key=record.key,
    )


def memory_text(flow: str, tenant_id: str, summary: dict[str, Any]) -> str:
    """The summary as one sentence or two: an InsightReport's headlines, else the run's text."""
    if "headlines" in summary:
        window = summary.get("window") or {}
        headlines = "; ".join(str(title) for title in summary["headlines"])
        return (
            f"{summary.get('template', flow)} for {tenant_id}, {window.get('start')} to "
            f"{window.get('end')}: {summary.get('insights', 0)} insights. {headlines}"
        ).strip()
    text = str(summary.get("text") or "").strip()
    return text or f"Flow {flow} ran for {tenant_id} and returned no text."


@dataclass
class MemorySink:
    """`ResultSink` remembering run summaries in the configured memory store."""

    memories: MemoryStore
    name: str = "memory"

    @classmethod
    def from_settings(cls, settings: Settings) -> MemorySink:
        """The configured store: ZeroDB, or the embedded SQLite memory under MI_HOME."""
        return cls(open_memory_store(settings))

    async def store(self, record: FlowRunRecord) -> str:
        """Remember the run's summary unless an earlier run did; the memory's id."""
        # Embedding and the store's writes block: off the event loop, which renews job locks.
        return await asyncio.to_thread(self._remember, run_memory(record))

    def _remember(self, memory: MemoryRecord) -> str:
        if self.memories.get(memory.id, tenant=memory.tenant) is not None:
            return memory.id
        return self.memories.remember(memory)

    async def aclose(self) -> None:
        """Close the store's files or connections."""
        await asyncio.to_thread(self.memories.close)
