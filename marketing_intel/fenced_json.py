"""JSON as a Langflow Chat Output shows it: a ```json code block, the way Langflow renders Data
(the Playground shows it as a code block). Our nodes hand reports and tables on in this form as
compact JSON text, and callers of the run API read them back."""

from __future__ import annotations

FENCE_OPEN = "```json\n"
FENCE_CLOSE = "\n```"


def fence_json(json_text: str) -> str:
    """`json_text` in a ```json code block."""
    return f"{FENCE_OPEN}{json_text}{FENCE_CLOSE}"


def unfence_json(text: str) -> str:
    """The JSON in `text`, with a ```json code block's fences (if any) taken off."""
    return text.strip().removeprefix("```json").removesuffix("```").strip()
