"""Registries that are a package of modules, one registered object per module.

A template (`marketing_intel.analysis_templates`) or a webhook platform
(`marketing_intel.webhooks.platforms`) is added by one new module that exports one object. This
finds them: every module of the package over its `__path__` (so a folder a plugin or a test
appends counts too), except those whose name starts with `_`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")


def registered_objects(
    package: ModuleType,
    attribute: str,
    kind: type[T],
    *,
    name_of: Callable[[T], str],
    order_of: Callable[[T], Any],
) -> dict[str, T]:
    """Each module's `attribute` by its name (`name_of`), sorted by `order_of`, then by name.

    Raises TypeError for a module without the attribute, or two objects of one name: a
    programming error that must stop start-up rather than run without a registered object.
    """
    found: dict[str, T] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        registered = getattr(module, attribute, None)
        if not isinstance(registered, kind):
            raise TypeError(f"{module.__name__} must export {attribute}, a {kind.__name__}.")
        name = name_of(registered)
        if name in found:
            raise TypeError(f"Two modules of {package.__name__} register {name!r}; rename one.")
        found[name] = registered
    ordered = sorted(found.items(), key=lambda item: (order_of(item[1]), item[0]))
    return dict(ordered)
