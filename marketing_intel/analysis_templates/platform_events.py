"""Platform events analysis: webhook volumes, failure rates, delivery lag, silent integrations
and spikes (`marketing_intel.analysis.platform_events`)."""

from marketing_intel.template_spec import (
    FlowCard,
    NodeCard,
    TemplateSpec,
    WatermarkSource,
    sql_folder,
)

SPEC = TemplateSpec(
    name="platform_events",
    title="Platform events analysis",
    implementation="marketing_intel.analysis.platform_events",
    queries=sql_folder("platform_events"),
    watermark=WatermarkSource("platform_events", "received_at"),
    flow=FlowCard(
        endpoint="platform-events-analysis",
        title="Platform Events Analysis",
        description=(
            "Webhook volumes by platform and type, failure rates, delivery lag, silent "
            "integrations and spikes. Type a tenant id."
        ),
        tags=("marketing", "analysis", "integrations"),
    ),
    node=NodeCard(
        name="PlatformEventsAnalysis",
        display_name="Platform Events",
        description=(
            "Event volume by platform and type, failure rates, delivery lag p50/p95, integrations "
            "that went silent, spikes and duplicate rates."
        ),
        icon="activity",
    ),
    listing_order=2,
)
