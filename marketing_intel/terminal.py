"""Output of the `mi` commands: tables and text to stdout, one-sentence errors to stderr."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console

from marketing_intel.errors import MarketingIntelError, validation_problems

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # one line per error, for scripts


@contextmanager
def user_errors() -> Iterator[None]:
    """Print our errors as one sentence and exit 1; a bug still shows its traceback."""
    try:
        yield
    except (MarketingIntelError, ValueError, ValidationError, OSError) as error:
        errors.print(f"[bold red]error:[/] {error_message(error)}", highlight=False, markup=True)
        raise typer.Exit(1) from None


def error_message(error: Exception) -> str:
    """The sentence to show for `error` (pydantic's validation errors, joined)."""
    if isinstance(error, ValidationError):
        return validation_problems(error)
    return str(error)
