-- The lake's four tables, written once in BigQuery Standard SQL.
-- BigQuery runs this as is (qualified with the dataset); the embedded DuckDB lake transpiles it.
-- The NOT ENFORCED primary key is each table's dedupe key: inserts skip rows whose key exists.

CREATE TABLE IF NOT EXISTS platform_events (
  event_id STRING NOT NULL,
  tenant_id STRING NOT NULL,
  platform STRING NOT NULL,
  event_type STRING NOT NULL,
  occurred_at TIMESTAMP NOT NULL,
  received_at TIMESTAMP NOT NULL,
  campaign_id STRING,
  customer_key STRING,  -- SHA-256 of the platform's customer id, never the id itself
  value NUMERIC,
  currency STRING,
  status STRING NOT NULL,
  attributes JSON,
  raw_id STRING,
  PRIMARY KEY (tenant_id, event_id) NOT ENFORCED
)
PARTITION BY DATE(occurred_at)
CLUSTER BY tenant_id, platform, event_type;

CREATE TABLE IF NOT EXISTS campaign_metrics (
  tenant_id STRING NOT NULL,
  platform STRING NOT NULL,
  campaign_id STRING NOT NULL,
  campaign_name STRING,
  date DATE NOT NULL,
  impressions INT64 NOT NULL,
  clicks INT64 NOT NULL,
  conversions INT64 NOT NULL,
  spend NUMERIC NOT NULL,
  revenue NUMERIC NOT NULL,
  currency STRING NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, platform, campaign_id, date) NOT ENFORCED
)
PARTITION BY date
CLUSTER BY tenant_id, platform, campaign_id;

CREATE TABLE IF NOT EXISTS integration_raw_data (
  raw_id STRING NOT NULL,
  tenant_id STRING NOT NULL,
  platform STRING NOT NULL,
  topic STRING,
  received_at TIMESTAMP NOT NULL,
  headers JSON,  -- signature and auth headers removed
  body JSON,  -- personal data redacted
  body_sha256 STRING NOT NULL,
  verified BOOL NOT NULL,
  PRIMARY KEY (tenant_id, raw_id) NOT ENFORCED
)
PARTITION BY DATE(received_at)
CLUSTER BY tenant_id, platform;

CREATE TABLE IF NOT EXISTS audience_insights (
  tenant_id STRING NOT NULL,
  platform STRING NOT NULL,
  segment_id STRING NOT NULL,
  segment_name STRING,
  date DATE NOT NULL,
  audience_size INT64 NOT NULL,
  active_users INT64 NOT NULL,
  engaged_users INT64 NOT NULL,
  conversions INT64 NOT NULL,
  revenue NUMERIC NOT NULL,
  attributes JSON,
  PRIMARY KEY (tenant_id, platform, segment_id, date) NOT ENFORCED
)
PARTITION BY date
CLUSTER BY tenant_id, platform, segment_id;
