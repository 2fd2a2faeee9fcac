"""A node for the job tests: echoes its text after a pause and counts its runs in a folder.

Its source is embedded in the test flows (as Langflow embeds every node's code), so a worker
process runs it without importing the tests.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from lfx.custom.custom_component.component import Component
from lfx.io import FloatInput, MessageTextInput, Output, StrInput
from lfx.schema.message import Message


class SlowEchoComponent(Component):
    """Leaves one file per run in `runs_dir`, waits `seconds`, fails while the file
    `fail_if_exists` exists, and returns its text."""

    display_name = "Slow Echo"
    description = "Echo after a pause (tests)."
    name = "SlowEcho"
    inputs = [  # noqa: RUF012
        MessageTextInput(name="text", display_name="Text"),
        FloatInput(name="seconds", display_name="Seconds", value=0.0),
        StrInput(name="runs_dir", display_name="Runs folder", value=""),
        StrInput(name="fail_if_exists", display_name="Fail while this file exists", value=""),
    ]
    outputs = [Output(display_name="Echo", name="echo", method="build_echo")]  # noqa: RUF012

    async def build_echo(self) -> Message:
        """The text, after the pause."""
        if self.runs_dir:
            folder = Path(self.runs_dir)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{uuid.uuid4().hex}.run").write_text(self.text, encoding="utf-8")
        await asyncio.sleep(self.seconds)
        if self.fail_if_exists and Path(self.fail_if_exists).exists():
            raise ValueError("asked to fail")
        return Message(text=f"echo: {self.text}")
