-- Campaign KPIs per Sunday-based week, for the window and the two weeks before it.
-- Parameters: @start_date, @end_date (DATE).
SELECT
  campaign_id,
  IF(date >= @start_date, 'current', 'previous') AS period,
  DATE_TRUNC(date, WEEK) AS week,
  SUM(impressions) AS impressions,
  SUM(clicks) AS clicks,
  SAFE_DIVIDE(SUM(clicks), SUM(impressions)) AS ctr,
  SAFE_DIVIDE(SUM(revenue), SUM(spend)) AS roas,
  SUM(revenue) - SUM(spend) AS profit
FROM campaign_metrics
WHERE date BETWEEN DATE_SUB(@start_date, INTERVAL 14 DAY) AND @end_date
GROUP BY campaign_id, period, week
ORDER BY campaign_id, week, period
