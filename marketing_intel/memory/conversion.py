"""What the "Memory Store" node remembers from its input: an analysis report (one memory
per insight), a JSON object, table rows or a chat message, each turned into `MemoryRecord`s."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from marketing_intel.analysis.report import Insight, InsightReport
from marketing_intel.fenced_json import unfence_json
from marketing_intel.memory.records import MemoryKind, MemoryRecord, utc_now

# How much an insight matters, by severity (recall can rank or filter on it later).
SEVERITY_IMPORTANCE = {"critical": 1.0, "warning": 0.8, "notice": 0.6, "info": 0.4}
CONTENT_FIELDS = ("content", "text", "narrative")


@dataclass(frozen=True)
class RecordDefaults:
    """What the node's inputs say about every memory it writes."""

    tenant: str
    kind: MemoryKind = "insight"
    agent: str | None = None
    session: str | None = None
    tags: tuple[str, ...] = ()
    importance: float = 0.5
    ttl: dt.timedelta | None = None

    def record(self, content: str, **fields: Any) -> MemoryRecord:
        """A record with these defaults, `fields` on top (tags are merged)."""
        now = utc_now()
        values: dict[str, Any] = {
            "tenant": self.tenant,
            "kind": self.kind,
            "agent": self.agent,
            "session": self.session,
            "importance": self.importance,
            "created_at": now,
            "expires_at": now + self.ttl if self.ttl else None,
        }
        values.update({name: value for name, value in fields.items() if value is not None})
        values["tags"] = (*self.tags, *fields.get("tags", ()))
        return MemoryRecord(content=content, **values)


def records_from_report(report: InsightReport, defaults: RecordDefaults) -> list[MemoryRecord]:
    """One memory per insight (what, how big, what to do), tagged with the template."""
    if report.tenant_id != defaults.tenant:
        raise ValueError(
            f"the report is for tenant {report.tenant_id!r}, not {defaults.tenant!r}; "
            "connect the report of the same tenant"
        )
    return [_insight_record(report, insight, defaults) for insight in report.ranked_insights()]


def _insight_record(
    report: InsightReport, insight: Insight, defaults: RecordDefaults
) -> MemoryRecord:
    sentences = [insight.title, insight.recommendation or ""]
    content = " ".join(sentence.strip() for sentence in sentences if sentence.strip())
    facts = {
        "template": report.template,
        "window_start": report.window.start.isoformat(),
        "window_end": report.window.end.isoformat(),
        "insight_kind": insight.kind,
        "severity": insight.severity,
        "subject": insight.subject,
        "metric": insight.metric,
        "value": insight.value,
        "baseline": insight.baseline,
        "change": insight.change,
    }
    return defaults.record(
        content,
        kind="insight",
        tags=(report.template, insight.kind, insight.severity),
        importance=SEVERITY_IMPORTANCE[insight.severity],
        metadata={name: value for name, value in facts.items() if value is not None},
        key=f"{report.template}:{report.window.start}:{report.window.end}:{content}",
    )


def records_from_mapping(data: Mapping[str, Any], defaults: RecordDefaults) -> list[MemoryRecord]:
    """An analysis report's insights, or one memory whose content is the object's `content`,
    `text` or `narrative` (else the whole object as JSON); other fields become metadata."""
    if {"template", "insights", "tenant_id"} <= data.keys():
        try:
            report = InsightReport.model_validate(dict(data))
        except ValidationError:
            pass
        else:
            return records_from_report(report, defaults)
    return [_row_record(data, defaults)]


def records_from_text(
    text: str, defaults: RecordDefaults, metadata: Mapping[str, Any] | None = None
) -> list[MemoryRecord]:
    """An analysis report's insights when `text` is a report as JSON (in a ```json code block
    or not: the template nodes' Report JSON output); else one memory holding the text."""
    body = unfence_json(text)
    if body.startswith("{") and '"insights"' in body:
        try:
            report = InsightReport.model_validate_json(body)
        except ValidationError:
            pass
        else:
            return records_from_report(report, defaults)
    return [defaults.record(text, metadata=dict(metadata or {}))]


def records_from_rows(
    rows: Iterable[Mapping[Any, Any]], defaults: RecordDefaults
) -> list[MemoryRecord]:
    """One memory per table row; the row needs a `content` or `text` column."""
    records = []
    for number, row in enumerate(rows, start=1):
        if not any(_text(row.get(name)) for name in CONTENT_FIELDS):
            raise ValueError(
                f"row {number} has no `content` or `text`; give the table a content column"
            )
        records.append(_row_record(row, defaults))
    return records


def _row_record(data: Mapping[Any, Any], defaults: RecordDefaults) -> MemoryRecord:
    field = next((name for name in CONTENT_FIELDS if _text(data.get(name))), None)
    content = str(data[field]) if field else json.dumps(data, default=str, sort_keys=True)
    metadata = {str(name): _json_value(value) for name, value in data.items() if name != field}
    tags = data.get("tags")
    return defaults.record(
        content,
        metadata=metadata,
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list | tuple) else (),
    )


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _json_value(value: Any) -> Any:
    # Table cells may be numpy numbers, NaN or timestamps: keep what JSON can carry.
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return str(value)
    return value
