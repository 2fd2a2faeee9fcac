"""What `mi doctor` reports: one `LayerReport` per layer, gathered in a `DoctorReport`.

Plain data (pydantic, so `--json` is the model dumped): no secret value ever goes in, only
where each secret comes from.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, computed_field


class Status(StrEnum):
    """A layer's verdict: `error` makes `mi doctor` exit 1 (`warning` too with `--strict`)."""

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


class Problem(BaseModel):
    """One finding that needs an operator, as a sentence that says what to do."""

    severity: Literal["warning", "error"]
    message: str


class SecretSource(BaseModel):
    """Where one secret setting comes from, never its value: `environment`, `.env file`,
    `file <path>`, `Application Default Credentials`, `not needed ...` or `missing`."""

    setting: str
    source: str


class LayerReport(BaseModel):
    """One layer of the deployment as the current settings configure it."""

    layer: str = Field(description="lake, memory, brand voice, cache, bridge inbox or jobs.")
    engine: str = Field(description="The engine (and its version, once reached).")
    production: bool = Field(description="On its production engine, not the embedded default.")
    location: str = Field(description="Where the data is: a file, host/database, project.")
    reachable: bool | None = Field(
        None, description="Answered the check; None: nothing to reach yet (no file created)."
    )
    schema_version: str | None = Field(None, description="The schema applied, as the engine says.")
    tenant_isolation: str = Field("", description="What keeps one tenant from another's data.")
    isolation_in_force: bool | None = Field(
        None, description="Whether that holds as deployed; None where the engine cannot tell."
    )
    secrets: list[SecretSource] = Field(default_factory=list)
    last_write: dt.datetime | None = Field(None, description="The newest write the engine shows.")
    last_write_note: str = Field("", description="How the last write was told, or why not.")
    details: dict[str, str | int] = Field(default_factory=dict)
    problems: list[Problem] = Field(default_factory=list)
    elapsed_ms: float | None = Field(
        None, description="How long the check took once its client was imported."
    )

    def warn(self, message: str) -> None:
        """Record a finding that leaves the layer working."""
        self.problems.append(Problem(severity="warning", message=message))

    def fail(self, message: str) -> None:
        """Record a finding that leaves the layer broken (exit 1)."""
        self.problems.append(Problem(severity="error", message=message))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> Status:
        """The worst finding's severity, `ok` without any."""
        severities = {problem.severity for problem in self.problems}
        if "error" in severities:
            return Status.ERROR
        return Status.WARNING if severities else Status.OK


class DoctorReport(BaseModel):
    """Every layer's report, or the settings error that kept doctor from reading them."""

    checked_at: dt.datetime
    settings_error: str | None = None
    layers: list[LayerReport] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> Status:
        """The worst layer's status (`error` when the settings cannot be read)."""
        if self.settings_error is not None:
            return Status.ERROR
        statuses = {layer.status for layer in self.layers}
        for status in (Status.ERROR, Status.WARNING):
            if status in statuses:
                return status
        return Status.OK

    def exit_code(self, *, strict: bool = False) -> int:
        """1 when a layer is broken (or, with `strict`, has any warning), else 0."""
        failing = {Status.ERROR, Status.WARNING} if strict else {Status.ERROR}
        return 1 if self.status in failing else 0
