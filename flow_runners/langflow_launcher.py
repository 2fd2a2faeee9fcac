"""`python -m flow_runners.langflow_launcher --profile editor|runtime`: start Langflow with one of
our settings profiles and the garbage collector tuned once it has started.

- editor (`make run`): `langflow.env`, Langflow as analysts use it (UI, run logs on).
- runtime (`make runtime`, the backend's server): `langflow.env`, then `langflow.runtime.env`
  over it: backend only, no transactions, vertex builds, tracing or API-key usage writes.

The profile files are read from `--env-dir` (default: the current directory, as `langflow run
--env-file langflow.env` did). Variables already in the environment win over both files, so a
deployment (or a test) overrides one setting without editing them.

The GC tuning is the bridge's (bridge_api/app.py): after Langflow's start-up (components, flows,
database) everything alive is frozen out of the collector's view and young collections wait for
more new objects, so a run no longer pays for full passes over the objects start-up left (1.4M
in the editor profile, measured December 2026).
It runs at the end of the app's own lifespan start-up, in the worker process that serves.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

# The files each profile reads, in order (a later file overrides an earlier one).
PROFILES: dict[str, tuple[str, ...]] = {
    "editor": ("langflow.env",),
    "runtime": ("langflow.env", "langflow.runtime.env"),
}
# The bridge's thresholds: young passes after 20,000 new objects instead of 700.
GC_THRESHOLDS = (20_000, 50, 100)
TUNED_LINE = "langflow_launcher: garbage collector tuned after start-up"


class ProfileError(SystemExit):
    """A profile file is missing: the message says where it was looked for."""


def profile_environment(profile: str, env_dir: Path) -> dict[str, str]:
    """The variables `profile`'s files set, later files over earlier ones."""
    merged: dict[str, str] = {}
    for name in PROFILES[profile]:
        path = env_dir / name
        if not path.is_file():
            raise ProfileError(
                f"The {profile} profile needs {path}; run from the repository's root or pass "
                "--env-dir with the folder that holds langflow.env"
            )
        values = dotenv_values(path)
        merged.update({key: value for key, value in values.items() if value is not None})
    return merged


def apply_profile(profile: str, env_dir: Path) -> dict[str, str]:
    """Put the profile's variables into this process's environment where they are not set
    already; returns what the server will see of them."""
    for key, value in profile_environment(profile, env_dir).items():
        os.environ.setdefault(key, value)
    return {key: os.environ[key] for key in profile_environment(profile, env_dir)}


def tune_garbage_collector() -> None:
    """Freeze what start-up left alive and make young collections rarer (as the bridge does)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    # On stderr, which the server's log keeps: the proof that the tuning ran in the serving process.
    print(f"{TUNED_LINE} ({gc.get_freeze_count()} objects frozen)", file=sys.stderr, flush=True)


def with_tuned_gc(setup_app: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap Langflow's app factory so its app tunes the GC when its lifespan start-up ends."""

    def setup(*args: Any, **kwargs: Any) -> Any:
        app = setup_app(*args, **kwargs)
        started: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(served: Any) -> AsyncIterator[Any]:
            async with started(served) as state:
                tune_garbage_collector()
                yield state

        app.router.lifespan_context = lifespan
        return app

    return setup


def main(argv: Sequence[str] | None = None) -> None:
    """Apply the profile, then run `langflow run` in this process with the tuned app factory;
    arguments after the profile's own go to `langflow run` (e.g. --host, --port, --workers)."""
    parser = argparse.ArgumentParser(prog="python -m flow_runners.langflow_launcher")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="editor")
    parser.add_argument("--env-dir", type=Path, default=Path.cwd())
    options, langflow_args = parser.parse_known_args(argv)
    apply_profile(options.profile, options.env_dir)
    # Imported after the profile is in the environment: Langflow reads its settings from it.
    import langflow.__main__ as langflow_cli

    # `langflow run` builds its app through this module-level factory (in the worker process).
    langflow_cli.setup_app = with_tuned_gc(langflow_cli.setup_app)
    sys.argv = ["langflow", "run", *langflow_args]
    langflow_cli.main()


if __name__ == "__main__":
    main()
