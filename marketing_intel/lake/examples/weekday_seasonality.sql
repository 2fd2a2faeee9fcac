-- Average daily spend by day of week (1 = Sunday, as in BigQuery).
SELECT
  EXTRACT(DAYOFWEEK FROM date) AS weekday,
  FORMAT_DATE('%A', date) AS day_name,
  ROUND(AVG(spend), 4) AS avg_spend,
  COUNT(*) AS days
FROM campaign_metrics
GROUP BY weekday, day_name
ORDER BY weekday
