-- Campaign insights: totals and KPIs (CTR, CVR, CPA, ROAS) per campaign, one row for the window
-- ('current') and one for the previous window of equal length ('previous', from @previous_start).
-- Ratios are FLOAT64 over FLOAT64 so both lakes divide the same way (no NUMERIC rounding).
SELECT
  IF(date >= @start_date, 'current', 'previous') AS period,
  platform,
  campaign_id,
  MAX(campaign_name) AS campaign_name,
  SUM(impressions) AS impressions,
  SUM(clicks) AS clicks,
  SUM(conversions) AS conversions,
  SUM(spend) AS spend,
  SUM(revenue) AS revenue,
  COUNT(DISTINCT date) AS active_days,
  SAFE_DIVIDE(CAST(SUM(clicks) AS FLOAT64), CAST(SUM(impressions) AS FLOAT64)) AS ctr,
  SAFE_DIVIDE(CAST(SUM(conversions) AS FLOAT64), CAST(SUM(clicks) AS FLOAT64)) AS cvr,
  SAFE_DIVIDE(CAST(SUM(spend) AS FLOAT64), CAST(SUM(conversions) AS FLOAT64)) AS cpa,
  SAFE_DIVIDE(CAST(SUM(revenue) AS FLOAT64), CAST(SUM(spend) AS FLOAT64)) AS roas,
  MAX(updated_at) AS latest_update
FROM campaign_metrics
WHERE date BETWEEN @previous_start AND @end_date
GROUP BY period, platform, campaign_id
ORDER BY platform, campaign_id, period
