"""One module per webhook platform, each exporting `PLATFORM` (a `WebhookPlatform`).

Adding a platform is one new module here plus its tests: `marketing_intel.webhooks.registry`
finds it (by `pkgutil` over this package's `__path__`), and the bridge's webhook route, `mi
sources add`, `mi sources platforms`, the samples and the benches take it from there. A module
whose name starts with `_` is not a platform.
"""
