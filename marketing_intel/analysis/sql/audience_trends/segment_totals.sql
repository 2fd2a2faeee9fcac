-- Audience trends: one row per segment over the window: days observed, average size, and the
-- outcomes per member (conversions per 1000 and revenue per member of the average audience).
-- Parameters: @start_date, @end_date (DATE).
SELECT
  platform,
  segment_id,
  MAX(segment_name) AS segment_name,  -- MAX, not ANY_VALUE: the same name on every engine
  COUNT(DISTINCT date) AS days,
  MIN(date) AS first_day,
  MAX(date) AS last_day,
  AVG(audience_size) AS average_audience,
  SUM(conversions) AS conversions,
  SUM(revenue) AS revenue,
  SAFE_DIVIDE(1000 * SUM(conversions), AVG(audience_size)) AS conversions_per_1000,
  SAFE_DIVIDE(SUM(revenue), AVG(audience_size)) AS revenue_per_user
FROM audience_insights
WHERE date BETWEEN @start_date AND @end_date
GROUP BY platform, segment_id
ORDER BY platform, segment_id
