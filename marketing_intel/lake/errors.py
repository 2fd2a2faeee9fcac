"""Errors of the lake. Every message is a sentence the user can act on."""

from __future__ import annotations

from marketing_intel.errors import MarketingIntelError


class LakeError(MarketingIntelError):
    """Base of every error the lake raises; `str(error)` is meant for the user."""


class QueryRefused(LakeError):
    """The query breaks a lake rule (read-only, lake tables only, a tenant) and was not run."""


class QueryFailed(LakeError):
    """The engine could not run the query (bad SQL, a runtime error such as division by zero)."""


class QueryTimeout(LakeError):
    """The query ran longer than its timeout and was cancelled."""


class LakeBusy(LakeError):
    """Another process holds the embedded lake file and did not let go in time."""


class LakeConfigError(LakeError):
    """The selected lake is not configured well enough to start."""


class InvalidRows(LakeError):
    """Rows did not match the table's schema; nothing was written.

    `problems` lists (row number, message) pairs, row numbers counting from 1; None stands for
    a problem of the whole input, such as a missing column.
    """

    def __init__(
        self, table: str, problems: list[tuple[int | None, str]], *, shown: int = 20
    ) -> None:
        self.table = table
        self.problems = problems
        lines = [
            f"  {'all rows' if row is None else f'row {row}'}: {message}"
            for row, message in problems[:shown]
        ]
        more = len(problems) - shown
        if more > 0:
            lines.append(f"  ... and {more} more")
        super().__init__(
            f"{len(problems)} row(s) do not fit table {table}; nothing was loaded. "
            "Fix these rows and load again:\n" + "\n".join(lines)
        )
