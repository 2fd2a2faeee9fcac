"""Campaign insights: per-campaign KPIs against the previous window, sustained shifts with their
first day, day-level anomalies, at most a handful of findings by money at stake
(`marketing_intel.analysis.campaign_insights`)."""

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
            "Per-campaign CTR, CVR, CPA and ROAS against the previous window; ROAS collapses, "
            "spend spikes and tracking outages with their days and money at stake. Type a "
            "tenant id."
        ),
        tags=("marketing", "analysis", "campaigns"),
    ),
    node=NodeCard(
        name="CampaignInsights",
        display_name="Campaign KPIs",
        description=(
            "Per-campaign CTR, CVR, CPA and ROAS against the previous window (ranked in the "
            "table); sustained shifts and day anomalies as at most five findings, by money at "
            "stake, each with its evidence and chart numbers."
        ),
        icon="chart-line",
    ),
    listing_order=1,
)
