-- Per platform over the window: events, failed events, duplicate events and the latest event.
-- A duplicate is an event whose delivery fingerprint another event of the platform already has:
-- the webhook delivery (raw_id) when there is one, else the natural key (event type, customer,
-- occurred_at to the microsecond); events with neither are their own fingerprint (event_id).
-- Parameters: @start_date, @end_date (DATE).
WITH fingerprinted AS (
  SELECT
    platform,
    status,
    occurred_at,
    received_at,
    COALESCE(
      CONCAT('raw|', raw_id),
      CONCAT('key|', event_type, '|', customer_key, '|', CAST(UNIX_MICROS(occurred_at) AS STRING)),
      CONCAT('id|', event_id)
    ) AS fingerprint
  FROM platform_events
  WHERE DATE(occurred_at) BETWEEN @start_date AND @end_date
)
SELECT
  platform,
  COUNT(*) AS events,
  COUNTIF(status = 'failed') AS failed,
  COUNT(*) - COUNT(DISTINCT fingerprint) AS duplicates,
  MAX(occurred_at) AS last_occurred_at,
  MAX(received_at) AS last_received_at
FROM fingerprinted
GROUP BY platform
ORDER BY platform
