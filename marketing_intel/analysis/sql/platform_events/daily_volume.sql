-- Events and failed events per platform, event type and day, from @history_start (the trailing
-- baseline before the window) to @end_date: the series behind volume spikes and failure spikes.
-- Parameters: @history_start, @end_date (DATE).
SELECT
  platform,
  event_type,
  DATE(occurred_at) AS day,
  COUNT(*) AS events,
  COUNTIF(status = 'failed') AS failed
FROM platform_events
WHERE DATE(occurred_at) BETWEEN @history_start AND @end_date
GROUP BY platform, event_type, day
ORDER BY platform, event_type, day
