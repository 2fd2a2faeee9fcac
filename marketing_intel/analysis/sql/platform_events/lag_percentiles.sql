-- Exact delivery-lag percentiles (received_at - occurred_at, microseconds) per platform and day
-- from @history_start to @end_date, and per platform over the window (day IS NULL).
-- APPROX_QUANTILES differs between BigQuery and DuckDB, so each percentile is found by rank: the
-- p-th percentile of n sorted lags sits at 1-based position 1 + p * (n - 1) / 100 (linear
-- interpolation, as PERCENTILE_CONT). The lags at the two ranks around it are returned and
-- Python interpolates between them. The ranks are found with integer comparisons only: no float
-- rounding, and no DIV (sqlglot drops the parentheses of DIV(a + b, c) when writing DuckDB).
-- low:  position - 1 = floor((n - 1) * p / 100) <=> (position - 1) * 100 <= (n - 1) * p < position * 100
-- high: position - 1 = ceil((n - 1) * p / 100)  <=> (position - 2) * 100 < (n - 1) * p <= (position - 1) * 100
-- Parameters: @history_start, @start_date, @end_date (DATE).
WITH lags AS (
  SELECT
    platform,
    DATE(occurred_at) AS day,
    TIMESTAMP_DIFF(received_at, occurred_at, MICROSECOND) AS lag_us
  FROM platform_events
  WHERE DATE(occurred_at) BETWEEN @history_start AND @end_date
),
grouped AS (
  SELECT platform, day, lag_us FROM lags
  UNION ALL
  SELECT platform, CAST(NULL AS DATE) AS day, lag_us FROM lags WHERE day >= @start_date
),
ranked AS (
  SELECT
    platform,
    day,
    lag_us,
    ROW_NUMBER() OVER (PARTITION BY platform, day ORDER BY lag_us) AS position,
    COUNT(*) OVER (PARTITION BY platform, day) AS n
  FROM grouped
)
SELECT
  platform,
  day,
  n AS events,
  MAX(IF((position - 1) * 100 <= (n - 1) * 50 AND (n - 1) * 50 < position * 100, lag_us, NULL))
    AS p50_low_us,
  MAX(IF((position - 2) * 100 < (n - 1) * 50 AND (n - 1) * 50 <= (position - 1) * 100, lag_us, NULL))
    AS p50_high_us,
  MAX(IF((position - 1) * 100 <= (n - 1) * 95 AND (n - 1) * 95 < position * 100, lag_us, NULL))
    AS p95_low_us,
  MAX(IF((position - 2) * 100 < (n - 1) * 95 AND (n - 1) * 95 <= (position - 1) * 100, lag_us, NULL))
    AS p95_high_us
FROM ranked
GROUP BY platform, day, n
ORDER BY platform, day
