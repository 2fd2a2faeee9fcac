"""The bridge's HTTP adapter (FastAPI): `create_app(settings)`; logic: `marketing_intel.bridge`."""

from __future__ import annotations

from bridge_api.app import create_app

__all__ = ["create_app"]
