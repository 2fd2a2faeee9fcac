-- Ad-platform events by device, from the events' JSON attributes.
SELECT
  platform,
  JSON_VALUE(attributes, '$.device') AS device,
  COUNT(*) AS events
FROM platform_events
WHERE platform IN ('meta', 'google_ads', 'tiktok')
GROUP BY platform, device
ORDER BY platform, device
