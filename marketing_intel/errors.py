"""The one base of every error whose message is meant for the user, and pydantic's validation
errors as the sentence a user reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails


class MarketingIntelError(Exception):
    """An error of ours that the caller can act on; `str(error)` says what was wrong and what to do.

    Every layer's errors derive from it, so the command line, the nodes and the bridge can tell a
    user's mistake or an outage (show the message) from a bug (show the traceback).
    """


def problem_text(problem: ErrorDetails) -> str:
    """One problem of a pydantic `ValidationError` as plain words: a validator's own message
    loses pydantic's "Value error, " prefix."""
    return problem["msg"].removeprefix("Value error, ")


def validation_problems(error: ValidationError) -> str:
    """Every problem of `error` in one line, "; "-separated (the CLI, bridge and nodes show it)."""
    return "; ".join(problem_text(problem) for problem in error.errors())
