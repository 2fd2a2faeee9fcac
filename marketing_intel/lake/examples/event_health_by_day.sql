-- Events, failures, failure rate, worst delivery lag and value per platform and day.
SELECT
  platform,
  DATE(occurred_at) AS day,
  COUNT(*) AS events,
  COUNTIF(status = 'failed') AS failed,
  ROUND(SAFE_DIVIDE(COUNTIF(status = 'failed'), COUNT(*)), 6) AS failure_rate,
  MAX(TIMESTAMP_DIFF(received_at, occurred_at, SECOND)) AS max_lag_s,
  SUM(value) AS value
FROM platform_events
GROUP BY platform, day
ORDER BY platform, day
