"""ROI optimization: per-campaign response curves, marginal ROAS and a budget reallocation at
the same total spend (`marketing_intel.analysis.roi_optimization`)."""

from marketing_intel.template_spec import (
    FlowCard,
    NodeCard,
    TemplateSpec,
    WatermarkSource,
    sql_folder,
)

SPEC = TemplateSpec(
    name="roi_optimization",
    title="ROI optimization",
    implementation="marketing_intel.analysis.roi_optimization",
    queries=sql_folder("roi_optimization"),
    watermark=WatermarkSource("campaign_metrics", "updated_at"),
    flow=FlowCard(
        endpoint="roi-optimization",
        title="ROI Optimization",
        description=(
            "Per-campaign response curves, marginal ROAS and a reallocation of the same "
            "budget within bounds, with the predicted uplift. Type a tenant id."
        ),
        tags=("marketing", "analysis", "budget"),
    ),
    node=NodeCard(
        name="ROIOptimizer",
        display_name="ROI Optimizer",
        description=(
            "Per-campaign response curves with diminishing returns, marginal ROAS, and a "
            "reallocation of the same budget within bounds, with the predicted uplift."
        ),
        icon="trending-up",
    ),
    listing_order=4,
)
