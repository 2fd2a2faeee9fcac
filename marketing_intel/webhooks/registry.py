"""The webhook platforms, found by looking in `marketing_intel.webhooks.platforms`.

Every module of that package (over its `__path__`, so a directory added to it counts too) whose
name does not start with `_` must export `PLATFORM`, a `WebhookPlatform`. Discovery runs once per
process, on first use; `rediscover_platforms()` makes the next use look again (for a directory
added to the package's `__path__` at run time, as the tests do).
"""

from __future__ import annotations

from functools import cache

from marketing_intel.module_registry import registered_objects
from marketing_intel.webhooks import platforms
from marketing_intel.webhooks.platform import WebhookPlatform
from marketing_intel.webhooks.rejections import WebhookRejected


@cache
def discover_platforms() -> dict[str, WebhookPlatform]:
    """Every platform by name, in listing order (`WebhookPlatform.order`, then name).

    Raises TypeError for a module without a `PLATFORM` or with two platforms of one name: a
    programming error that must not start a bridge missing a platform.
    """
    return registered_objects(
        platforms,
        "PLATFORM",
        WebhookPlatform,  # type: ignore[type-abstract]  # a runtime-checkable Protocol
        name_of=lambda platform: platform.name,
        order_of=lambda platform: platform.order,
    )


def platform_names() -> tuple[str, ...]:
    """The platforms' names, in listing order."""
    return tuple(discover_platforms())


def webhook_platform(name: str) -> WebhookPlatform:
    """The platform called `name`; `unknown_platform` (404) for a platform we lack."""
    platform = discover_platforms().get(name)
    if platform is None:
        raise WebhookRejected(
            "unknown_platform",
            f"Unknown platform {name!r}; use one of {', '.join(platform_names())}.",
        )
    return platform


@cache
def signature_header_names() -> frozenset[str]:
    """Every platform's signature headers (never stored, whichever platform they arrive at)."""
    return frozenset().union(*(p.signature_headers for p in discover_platforms().values()))


@cache
def secret_field_names() -> frozenset[str]:
    """Every platform's secret body fields (never stored, whichever platform they arrive at)."""
    return frozenset().union(*(p.secret_fields for p in discover_platforms().values()))


def rediscover_platforms() -> None:
    """Forget the platforms found so far: the next use looks in the package again."""
    discover_platforms.cache_clear()
    signature_header_names.cache_clear()
    secret_field_names.cache_clear()
