-- Each audience segment's latest day: size and revenue.
SELECT segment_id, segment_name, date, audience_size, revenue
FROM audience_insights
QUALIFY ROW_NUMBER() OVER (PARTITION BY segment_id ORDER BY date DESC) = 1
ORDER BY segment_id
