-- Per platform: on how many of the @usual_days days before DATE(@now) it delivered events, and
-- its latest delivery up to @now: the evidence for silent integrations.
-- Delivery time (received_at) is what stops when an integration breaks; occurred_at bounds the
-- scan to recent partitions (a delivery can lag its event, hence one spare day).
-- Parameters: @now (TIMESTAMP), @usual_days (INT64).
SELECT
  platform,
  COUNT(DISTINCT IF(
    DATE(received_at) >= DATE_SUB(DATE(@now), INTERVAL @usual_days DAY)
    AND DATE(received_at) < DATE(@now),
    DATE(received_at),
    NULL
  )) AS active_days,
  MAX(received_at) AS last_received_at
FROM platform_events
WHERE DATE(occurred_at) >= DATE_SUB(DATE(@now), INTERVAL @usual_days + 1 DAY)
  AND received_at <= @now
GROUP BY platform
ORDER BY platform
