-- Campaign insights: daily spend, clicks, conversions and revenue per campaign from
-- @history_start (the baselines' look-back before the window) to @end_date, for day anomalies
-- and level shifts.
SELECT
  platform,
  campaign_id,
  date,
  SUM(spend) AS spend,
  SUM(clicks) AS clicks,
  SUM(conversions) AS conversions,
  SUM(revenue) AS revenue
FROM campaign_metrics
WHERE date BETWEEN @history_start AND @end_date
GROUP BY platform, campaign_id, date
ORDER BY platform, campaign_id, date
