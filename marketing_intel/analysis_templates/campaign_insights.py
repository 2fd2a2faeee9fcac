"""Campaign insights: per-campaign KPIs against the previous window, top and bottom performers,
day-level anomalies and actions (`marketing_intel.analysis.campaign_insights`)."""

from marketing_intel.template_spec import (
    FlowCard,
    NodeCard,
    TemplateSpec,
    WatermarkSource,
    sql_folder,
)

SPEC = TemplateSpec(
    name="campaign_insights",
    title="Campaign insights",
    implementation="marketing_intel.analysis.campaign_insights",
    queries=sql_folder("campaign_insights"),
    watermark=WatermarkSource("campaign_metrics", "updated_at"),
    flow=FlowCard(
        endpoint="campaign-insights",
        title="Campaign Insights",
        description=(
            "Per-campaign CTR, CVR, CPA and ROAS against the previous window, top and bottom "
            "performers, day-level anomalies and actions. Type a tenant id."
        ),
        tags=("marketing", "analysis", "campaigns"),
    ),
    node=NodeCard(
        name="CampaignInsights",
        display_name="Campaign KPIs",
        description=(
            "Per-campaign CTR, CVR, CPA and ROAS against the previous window, top and bottom "
            "performers, day-level anomalies and actions (pause, cap, scale) with their evidence."
        ),
        icon="chart-line",
    ),
    listing_order=1,
)
