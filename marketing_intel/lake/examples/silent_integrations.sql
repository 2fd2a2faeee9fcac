-- Hours since each platform's last event. Parameters: @now (TIMESTAMP).
SELECT
  platform,
  MAX(occurred_at) AS last_event,
  TIMESTAMP_DIFF(@now, MAX(occurred_at), HOUR) AS hours_silent
FROM platform_events
GROUP BY platform
ORDER BY platform
