-- Spend per day of the window, with days without rows as 0.
-- Parameters: @start_date, @end_date (DATE).
WITH days AS (
  SELECT day FROM UNNEST(GENERATE_DATE_ARRAY(@start_date, @end_date)) AS day
)
SELECT day, COALESCE(SUM(m.spend), 0) AS spend
FROM days
LEFT JOIN campaign_metrics AS m ON m.date = days.day
GROUP BY day
ORDER BY day
