"""What a flow runner is: the `FlowRunner` protocol and the `FlowOutput` it returns.

The runners themselves run flows on Langflow (its run API, or lfx in process), which this core
package never imports: they live in the top-level `flow_runners` package, which the worker loads
only when it starts. A job that cannot run as given (unknown flow, refused parameters) raises
`BadJobError`; an outage or a failing flow raises `FlowRunError`, which the queue retries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from marketing_intel.jobs.models import FlowRunJob


@dataclass
class FlowOutput:
    """What a run produced: the texts of its messages and the payloads of its Data outputs."""

    texts: list[str] = field(default_factory=list)
    data: list[dict[str, Any]] = field(default_factory=list)

    def add(self, value: Any) -> None:
        """Add one output value (a Message, a Data, or their JSON form from the API)."""
        if isinstance(value, dict):
            # A Message from the API carries its text and a `data` dict of its own fields: the
            # text first, as for the objects below.
            if isinstance(value.get("text"), str):
                self.texts.append(value["text"])
            elif isinstance(value.get("data"), dict):
                self.data.append(value["data"])
            elif isinstance(value.get("message"), str):
                self.texts.append(value["message"])
            return
        payload = getattr(value, "data", None)
        text = getattr(value, "text", None)
        if isinstance(text, str):
            self.texts.append(text)
        elif isinstance(payload, dict):
            self.data.append(payload)
        elif value is not None:
            self.texts.append(str(value))


class FlowRunner(Protocol):
    """Runs one job's flow."""

    async def run(self, job: FlowRunJob) -> FlowOutput:
        """Run the job's flow for its tenant; raise `BadJobError` or `FlowRunError`."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
