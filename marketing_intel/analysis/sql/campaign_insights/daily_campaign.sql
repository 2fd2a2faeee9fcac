-- Campaign insights: daily spend, conversions and ROAS per campaign from @history_start (the
-- same-weekday baseline's look-back before the window) to @end_date, for day-level anomalies.
SELECT
  platform,
  campaign_id,
  date,
  SUM(spend) AS spend,
  SUM(conversions) AS conversions,
  SAFE_DIVIDE(CAST(SUM(revenue) AS FLOAT64), CAST(SUM(spend) AS FLOAT64)) AS roas
FROM campaign_metrics
WHERE date BETWEEN @history_start AND @end_date
GROUP BY platform, campaign_id, date
ORDER BY platform, campaign_id, date
