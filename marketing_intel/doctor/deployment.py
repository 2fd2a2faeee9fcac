"""Check every layer of a deployment at once, each within a deadline.

A probe is three functions: `describe(settings)` says what the settings configure (engine,
location, where secrets come from) without any I/O, so it cannot hang; `needs(settings)` names
the modules its check imports (a cloud client takes seconds to import on a busy machine, which
must not count against the engine); `check(settings, report, timeout_s)` reaches the engine and
fills in the rest. Checks run side by side in daemon threads: an engine that never answers
costs the deadline, never a hung doctor (a thread left behind dies with the process).
"""

from __future__ import annotations

import datetime as dt
import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from marketing_intel.config import Settings
from marketing_intel.doctor import (
    brand_voice_probe,
    cache_probe,
    inbox_probe,
    jobs_probe,
    lake_probe,
    memory_probe,
)
from marketing_intel.doctor.report import DoctorReport, LayerReport
from marketing_intel.errors import MarketingIntelError

DEFAULT_TIMEOUT_S = 5.0
# The thread gets a little longer than the clients' own timeouts, so theirs speak first.
_GRACE_S = 1.0


@dataclass(frozen=True)
class Probe:
    """How one layer is described and checked."""

    describe: Callable[[Settings], LayerReport]
    needs: Callable[[Settings], tuple[str, ...]]
    check: Callable[[Settings, LayerReport, float], None]


PROBES: tuple[Probe, ...] = tuple(
    Probe(module.describe, module.needs, module.check)
    for module in (
        lake_probe,
        memory_probe,
        brand_voice_probe,
        cache_probe,
        inbox_probe,
        jobs_probe,
    )
)


def check_deployment(settings: Settings, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> DoctorReport:
    """Every layer's report for `settings`; each check gets `timeout_s` seconds."""
    runs = [_ProbeRun(probe, settings, timeout_s) for probe in PROBES]
    for run in runs:
        run.thread.start()
    return DoctorReport(checked_at=dt.datetime.now(dt.UTC), layers=[run.finished() for run in runs])


class _ProbeRun:
    """One probe's check on a thread of its own, and its report once done or out of time."""

    def __init__(self, probe: Probe, settings: Settings, timeout_s: float) -> None:
        self.described = probe.describe(settings)
        self.timeout_s = timeout_s
        self._checked = self.described.model_copy(deep=True)  # only the thread writes it
        self._needs = probe.needs(settings)
        self._check = lambda: probe.check(settings, self._checked, timeout_s)
        self._error: BaseException | None = None
        self._imported = threading.Event()
        self._elapsed_s: float | None = None  # set by the thread when its check ends
        self._started = time.monotonic()  # reset once the imports are done
        name = f"mi-doctor-{self.described.layer}"
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            for module in self._needs:
                importlib.import_module(module)
        except BaseException as error:
            self._error = error
            return
        finally:
            self._started = time.monotonic()
            self._imported.set()
        try:
            self._check()
        except BaseException as error:  # reported as a sentence, never a traceback
            self._error = error
        finally:
            self._elapsed_s = time.monotonic() - self._started

    def finished(self) -> LayerReport:
        """The checked report; the described one with an error if the check failed or hung."""
        self._imported.wait()  # imports read local files only: they cannot hang on a network
        remaining = self.timeout_s + _GRACE_S - (time.monotonic() - self._started)
        self.thread.join(max(remaining, 0.0))
        elapsed_s = self._elapsed_s
        if elapsed_s is None:
            elapsed_s = time.monotonic() - self._started
        if self.thread.is_alive():
            report = self.described.model_copy(deep=True)
            report.reachable = False
            report.fail(
                f"{report.engine} at {report.location} did not answer within "
                f"{self.timeout_s:g} s; check that it is running and reachable from here "
                "(host, port, firewall), then run `mi doctor` again."
            )
        elif self._error is not None:
            report = self._checked  # the thread is done: what it found before failing stands
            report.fail(failure_sentence(report, self._error))
        else:
            report = self._checked
        report.elapsed_ms = round(elapsed_s * 1000, 1)
        return report


def failure_sentence(report: LayerReport, error: BaseException) -> str:
    """A failed check as one sentence: our errors already say what to do; anything else is
    named with its first line and where it happened."""
    if isinstance(error, MarketingIntelError):
        return str(error)
    lines = str(error).strip().splitlines()
    detail = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return (
        f"Checking {report.engine} at {report.location} failed ({detail}); check the "
        f"{report.layer} settings and that the engine is up, then run `mi doctor` again."
    )
