-- roi_optimization: spend and revenue per campaign and day in the window, the points each
-- campaign's response curve (revenue = a * spend^b) is fitted on. One row per campaign-day,
-- summed in case a platform restates a day in pieces; the Python side takes logs and fits.
SELECT
  platform,
  campaign_id,
  MAX(campaign_name) AS campaign_name,
  date,
  SUM(spend) AS spend,
  SUM(revenue) AS revenue,
  MAX(updated_at) AS updated_at
FROM campaign_metrics
WHERE date BETWEEN @start_date AND @end_date
GROUP BY platform, campaign_id, date
ORDER BY platform, campaign_id, date
