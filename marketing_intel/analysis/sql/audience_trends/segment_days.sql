-- Audience trends: one row per segment and day of the window, the points the growth and
-- engagement regressions are fitted on (size, active and engaged users, engagement rate).
-- Parameters: @start_date, @end_date (DATE).
SELECT
  platform,
  segment_id,
  date,
  SUM(audience_size) AS audience_size,
  SUM(active_users) AS active_users,
  SUM(engaged_users) AS engaged_users,
  SAFE_DIVIDE(SUM(engaged_users), SUM(active_users)) AS engagement_rate
FROM audience_insights
WHERE date BETWEEN @start_date AND @end_date
GROUP BY platform, segment_id, date
ORDER BY platform, segment_id, date
