"""A node for the worker's isolation tests: reports the state earlier runs left behind.

Its source is embedded in the test flow (as Langflow embeds every node's code); a file of its
own, because lfx builds the first component class of a source whose class name the node's type
does not give.
"""

from __future__ import annotations

import json

from lfx.custom.custom_component.component import Component
from lfx.io import MessageTextInput, Output
from lfx.schema.message import Message

# Module-level state: each run execs the node's source into a namespace of its own, so a run
# never finds what an earlier run appended. The tests change the version in the embedded source.
PROBE_VERSION = "v1"
_TEXTS_SEEN: list[str] = []


class StateProbeComponent(Component):
    """Reports what earlier runs left (on its class, its instance, its module, its outputs
    list), then leaves its own text in each, and answers with its text and `PROBE_VERSION`."""

    display_name = "State Probe"
    description = "Shows state left by earlier runs (tests)."
    name = "StateProbe"
    inputs = [MessageTextInput(name="text", display_name="Text")]  # noqa: RUF012
    outputs = [Output(display_name="Report", name="report", method="build_report")]  # noqa: RUF012
    left_on_class: str | None = None

    def build_report(self) -> Message:
        """JSON: this run's text and version, and what earlier runs left."""
        found = {
            "text": self.text,
            "version": PROBE_VERSION,
            "class": type(self).left_on_class,
            "instance": self.__dict__.get("left_on_instance"),
            "module": list(_TEXTS_SEEN),
            "outputs": len(type(self).outputs),
        }
        type(self).left_on_class = self.text
        self.__dict__["left_on_instance"] = self.text
        _TEXTS_SEEN.append(self.text)
        type(self).outputs.append(Output(display_name="Extra", name="extra", method="build_report"))
        return Message(text=json.dumps(found))
