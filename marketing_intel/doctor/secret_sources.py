"""Where a secret setting comes from, told without reading its value into any output.

pydantic-settings reads a field from the environment first, then from the `.env` file(s) the
settings name, then from a file named after the variable in the secrets folder(s) they name
(`secrets_dir`, e.g. mounted Docker or Kubernetes secrets); doctor looks in the same places, in
the same order, by the `MI_` variable name (names outlive any regrouping of the settings class).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from marketing_intel.config import SettingsGroup
from marketing_intel.doctor.report import SecretSource


def secret_source(variable: str) -> SecretSource:
    """Where `variable` (e.g. `MI_CACHE_URL`) is set: the environment, a `.env` file, a secret
    file, or nowhere (`missing`). Names compare case-insensitively, as the settings read them."""
    wanted = variable.upper()
    if any(name.upper() == wanted and value for name, value in os.environ.items()):
        return SecretSource(setting=variable, source="environment")
    for env_file in _configured_paths("env_file"):
        if not env_file.is_file():
            continue
        values = dotenv_values(env_file)
        if any(name.upper() == wanted and value for name, value in values.items()):
            return SecretSource(setting=variable, source=f".env file {env_file}")
    for folder in _configured_paths("secrets_dir"):
        if folder.is_dir() and any(item.name.upper() == wanted for item in folder.iterdir()):
            return SecretSource(setting=variable, source=f"secret file in {folder}")
    return SecretSource(setting=variable, source="missing")


def file_source(variable: str, path: Path) -> SecretSource:
    """A secret kept in a file the settings point at (its path is not a secret)."""
    return SecretSource(setting=variable, source=f"file {path}")


def _configured_paths(option: str) -> Iterable[Path]:
    """The paths of a settings option that takes one path or several (`env_file`, ...)."""
    configured: Any = SettingsGroup.model_config.get(option)  # every group reads the same files
    if configured is None:
        return []
    names = [configured] if isinstance(configured, str | os.PathLike) else list(configured)
    return [Path(name) for name in names]


def server_location(url: str, default_port: int) -> str:
    """host:port/path of a server URL, without its user or password."""
    parts = urlsplit(url)
    try:
        port = parts.port or default_port
    except ValueError:  # a port that is not a number: the check will say so
        return f"{parts.hostname} (a URL whose port is not a number)"
    return f"{parts.hostname}:{port}{parts.path}"
