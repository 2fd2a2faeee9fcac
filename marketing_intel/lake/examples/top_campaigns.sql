-- The three campaigns with the most revenue on each platform.
SELECT
  platform,
  ARRAY_AGG(campaign_id ORDER BY revenue DESC, campaign_id LIMIT 3) AS top_campaigns
FROM (
  SELECT platform, campaign_id, SUM(revenue) AS revenue
  FROM campaign_metrics
  GROUP BY platform, campaign_id
)
GROUP BY platform
ORDER BY platform
