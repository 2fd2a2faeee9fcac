"""The "Insight Cache" node (PostgreSQL, or embedded SQLite): a handle the template nodes use
to serve stored reports.

Connect its output to a template node's Insight Cache input: the template then returns the
stored report while it is fresh (TTL) and the lake has no newer data, and says so in its status.
The cache is PostgreSQL (the URL is a Langflow global variable, never a literal; the schema is
the operator's MI_CACHE_SCHEMA) or the embedded SQLite file under MI_HOME; its connections are
shared by every run in the process.
"""

from __future__ import annotations

from lfx.custom.custom_component.component import Component
from lfx.io import IntInput, Output
from lfx_marketing_intel.marketing_intel._node_errors import node_errors
from lfx_marketing_intel.marketing_intel._shared_inputs import (
    chosen_engine,
    engine_input,
    global_variable_input,
)

from marketing_intel.cache import InsightCacheHandle

# Cache choices in the node -> MI_CACHE_BACKEND.
ENGINES = {"PostgreSQL": "postgres", "Embedded (SQLite)": "sqlite"}


class InsightCacheComponent(Component):
    """Opens the insight cache (PostgreSQL or embedded) and hands it to template nodes."""

    display_name = "Insight Cache"
    description = (
        "Serve analysis template reports from PostgreSQL (or embedded SQLite) in about a "
        "millisecond: connect to a "
        "template node's Insight Cache input. Reports expire after the TTL and whenever newer "
        "data lands in the lake."
    )
    icon = "database-zap"
    name = "InsightCache"
    metadata = {"keywords": ["cache", "postgres", "postgresql", "sqlite", "insights"]}

    inputs = [
        engine_input(
            "engine",
            "Cache",
            "Where reports are kept: as the server's MI_ settings say, PostgreSQL, or "
            "embedded (a SQLite file under MI_HOME).",
            ENGINES,
            advanced=False,
        ),
        global_variable_input(
            "url",
            "PostgreSQL URL",
            "A global variable holding the database URL (postgresql://, with user and "
            "password). Empty: MI_CACHE_URL.",
            advanced=False,
        ),
        IntInput(
            name="ttl_s",
            display_name="TTL (seconds)",
            info="How long a report is served before it is computed again: 300-900 seconds. "
            "0: MI_CACHE_TTL_S (600).",
            value=600,
        ),
    ]

    outputs = [Output(display_name="Insight Cache", name="insight_cache", method="build_cache")]

    def build_cache(self) -> InsightCacheHandle:
        """The opened cache and the TTL the template nodes store reports with."""
        from marketing_intel.cache import shared_cache
        from marketing_intel.config import current_settings
        from marketing_intel.secret_inputs import secret_input

        with node_errors():
            settings = current_settings(
                cache_backend=chosen_engine(ENGINES, self.engine),
                cache_url=secret_input(self, "url"),
                cache_ttl_s=self.ttl_s or None,
            )
            cache = shared_cache(settings)
        where = "PostgreSQL" if cache.backend == "postgres" else "embedded SQLite"
        self.status = f"{where} insight cache, TTL {settings.cache.ttl_s} s"
        return InsightCacheHandle(cache, settings.cache.ttl_s)
