"""A run's result: a small summary for the job, the full output for the result sinks.

Sinks (the insight cache, agent memory) plug in through `ResultSink`. A job may run more than
once (a retry, a worker that died after the run), so every sink write is keyed by the job and
must be idempotent: writing the same record again changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from marketing_intel.analysis.report import InsightReport
from marketing_intel.fenced_json import unfence_json
from marketing_intel.jobs.runners import FlowOutput

SUMMARY_TEXT_CHARS = 500
HEADLINES = 3


@dataclass(frozen=True)
class FlowRunRecord:
    """One job's full result, as the sinks store it."""

    job_id: str
    flow: str
    tenant_id: str
    summary: dict[str, Any]
    output: dict[str, Any]
    finished_at: dt.datetime

    @property
    def key(self) -> str:
        """The record's stable key: the same job always writes to the same place."""
        return f"flow-run:{self.tenant_id}:{self.flow}:{self.job_id}"


class ResultSink(Protocol):
    """Somewhere the full result of a run is kept (the cache, memory)."""

    name: str

    async def store(self, record: FlowRunRecord) -> str:
        """Write `record` under its key, idempotently; return its key or id in this sink."""
        ...

    async def aclose(self) -> None:
        """Release the sink's connections."""
        ...


def summarize(output: FlowOutput) -> dict[str, Any]:
    """The summary of a run: an InsightReport's headline when the flow returned one (as Data,
    or as the JSON text a ChatOutput makes of it), else the start of its first text."""
    report = insight_report(output)
    if report is not None:
        return report_summary(report)
    text = output.texts[0] if output.texts else ""
    return {"text": text[:SUMMARY_TEXT_CHARS], "truncated": len(text) > SUMMARY_TEXT_CHARS}


def insight_report(output: FlowOutput) -> InsightReport | None:
    """The first InsightReport among the run's outputs, if any."""
    candidates: list[Any] = list(output.data)
    for text in output.texts:
        body = unfence_json(text)
        if body.startswith("{"):
            with contextlib.suppress(ValueError):
                candidates.append(json.loads(body))
    for candidate in candidates:
        with contextlib.suppress(ValidationError):
            return InsightReport.model_validate(candidate)
    return None


def report_summary(report: InsightReport) -> dict[str, Any]:
    """An InsightReport in a few fields: what, for whom, over when, and its top findings."""
    severities: dict[str, int] = {}
    for insight in report.insights:
        severities[insight.severity] = severities.get(insight.severity, 0) + 1
    return {
        "template": report.template,
        "tenant_id": report.tenant_id,
        "window": report.window.model_dump(mode="json"),
        "generated_at": report.generated_at.isoformat(),
        "data_watermark": report.data_watermark.isoformat() if report.data_watermark else None,
        "insights": len(report.insights),
        "by_severity": severities,
        "headlines": [insight.title for insight in report.ranked_insights()[:HEADLINES]],
    }


def output_document(output: FlowOutput) -> dict[str, Any]:
    """The full output as one JSON document."""
    return {"texts": output.texts, "data": output.data}
