"""Audience trends: segment growth and engagement trends with confidence, the fastest rising and
declining segments, conversion per segment (`marketing_intel.analysis.audience_trends`)."""

from marketing_intel.template_spec import (
    FlowCard,
    NodeCard,
    TemplateSpec,
    WatermarkSource,
    sql_folder,
)

SPEC = TemplateSpec(
    name="audience_trends",
    title="Audience trends",
    implementation="marketing_intel.analysis.audience_trends",
    queries=sql_folder("audience_trends"),
    # audience_insights has no arrival time: its latest day and row count stand in.
    watermark=WatermarkSource("audience_insights", "date"),
    flow=FlowCard(
        endpoint="audience-trends",
        title="Audience Trends",
        description=(
            "Segment growth and engagement trends with confidence, the fastest rising and "
            "declining segments, conversion per segment. Type a tenant id."
        ),
        tags=("marketing", "analysis", "audiences"),
    ),
    node=NodeCard(
        name="AudienceTrends",
        display_name="Audience Trends",
        description=(
            "Segment size and engagement trends as slopes with confidence intervals, fastest "
            "rising and declining segments, conversion and revenue per segment."
        ),
        icon="users",
    ),
    listing_order=3,
)
