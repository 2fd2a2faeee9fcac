"""The registered analysis templates: every module of this package exports one `TemplateSpec`
as `SPEC`, and `template_specs()` finds them (pkgutil over this package's `__path__`).

Adding a template is one new module here, plus its tests: its spec names its options and entry
point (in the same module or another one), its SQL, watermark source, flow and node. The CLI,
the insight cache, the flows catalogue, the bridge and the flow exporter all read the specs.
Its Langflow node is a class `<node.name>Component` in `node.module` (Langflow picks a flow's
node class by its name in the source, so a node class cannot be generated).

Templates from elsewhere (a plugin, a test): append their folder to this package's `__path__`,
then call `template_specs.cache_clear()`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from types import MappingProxyType
from typing import TypeVar

from marketing_intel.module_registry import registered_objects
from marketing_intel.template_spec import TemplateSpec

__all__ = [
    "RegistryView",
    "TemplateSpec",
    "UnknownTemplateError",
    "template_spec",
    "template_specs",
]

K = TypeVar("K")
V = TypeVar("V")


class UnknownTemplateError(ValueError):
    """A template name that no registered spec has."""


@cache
def template_specs() -> Mapping[str, TemplateSpec]:
    """Every registered template by name, in listing order."""
    specs = registered_objects(
        sys.modules[__name__],
        "SPEC",
        TemplateSpec,
        name_of=lambda spec: spec.name,
        order_of=lambda spec: spec.listing_order,
    )
    return MappingProxyType(specs)


def template_spec(name: str) -> TemplateSpec:
    """The registered template `name`."""
    specs = template_specs()
    try:
        return specs[name]
    except KeyError:
        raise UnknownTemplateError(
            f"unknown template {name!r}; choose one of {', '.join(specs)}"
        ) from None


class RegistryView(Mapping[K, V]):
    """A read-only mapping derived from the registered specs, derived again whenever the
    registry is (so a consumer's module-level table never misses a template)."""

    def __init__(self, derive: Callable[[Mapping[str, TemplateSpec]], Mapping[K, V]]) -> None:
        self._derive = derive
        self._source: Mapping[str, TemplateSpec] | None = None
        self._derived: Mapping[K, V] = {}

    def _current(self) -> Mapping[K, V]:
        specs = template_specs()
        if specs is not self._source:
            self._derived, self._source = self._derive(specs), specs
        return self._derived

    def __getitem__(self, key: K) -> V:
        return self._current()[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return f"RegistryView({dict(self._current())!r})"
