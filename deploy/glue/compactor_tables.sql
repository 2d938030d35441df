-- Glue / Athena tables over the compactor's curated output (docs/compactor.md).
-- Replace s3://CURATED-BUCKET/ with the compactor's --output. Partitions are not discovered by
-- MSCK or projection: each (domain, day) lives in a version directory named by the unit's
-- manifest, so after every run register or move the partitions with
--   compactor live --output s3://CURATED-BUCKET --table <table> --format athena
-- whose ALTER TABLE … SET LOCATION statements are Athena's side of the atomic switch.

CREATE EXTERNAL TABLE IF NOT EXISTS compacted (
  event_year int, event_month int, event_day int,
  event_timestamp timestamp, arrival_timestamp timestamp, arrival_delay_ms bigint,
  edge_city string, edge_state string, edge_country string, edge_country_code string,
  edge_latitude double, edge_longitude double, edge_id string,
  referrer string, referrer_domain_name string,
  browser_name string, browser_version string, browser_os_name string, browser_os_version string,
  browser_timezone string, browser_language string,
  device_type string, device_vendor string, device_outer_resolution string,
  device_inner_resolution string, device_color_depth int, device_platform string,
  device_memory double, device_cores int,
  utm_source string, utm_campaign string, utm_medium string, utm_content string, utm_term string,
  request_url string, request_path string, request_query_string string, request_bytes int,
  request_status_code int, request_cache_status string, request_delivery_time_ms int,
  request_asn bigint, request_is_bot int,
  event_name string, event_data string,
  page_view_id string, daily_page_view_id string, daily_visitor_id string,
  event_id string, source string, client_id string, user_id string,
  product_action string, transaction_id string,
  transaction_revenue double, transaction_tax double, transaction_shipping double,
  currency_code string,
  products array<struct<id:string, name:string, brand:string, category:string, variant:string,
                        price:double, quantity:int, position:int>>
)
PARTITIONED BY (domain_name string, event_type string, event_date string)
STORED AS PARQUET
LOCATION 's3://CURATED-BUCKET/compacted/';

CREATE EXTERNAL TABLE IF NOT EXISTS sessions (
  session_id string, daily_visitor_id string,
  session_start timestamp, session_end timestamp, visit_duration_sec bigint,
  pageviews int, is_bounce boolean,
  landing_page string, exit_page string, landing_page_view_id string, referrer_domain_name string
)
PARTITIONED BY (domain_name string, event_date string)
STORED AS PARQUET
LOCATION 's3://CURATED-BUCKET/sessions/';

-- ownstats' `stats` (seeds-spec A.10.2) with visit_duration_sec_sum; note the column is
-- bounce_cnt (ownstats' Glue table said bounces_cnt while its files said bounce_cnt).
CREATE EXTERNAL TABLE IF NOT EXISTS stats (
  event_hour int,
  edge_city string, edge_country string, edge_latitude double, edge_longitude double,
  referrer_domain_name string, browser_name string, browser_os_name string,
  device_type string, device_vendor string,
  utm_source string, utm_campaign string, utm_medium string, utm_content string, utm_term string,
  request_path string,
  page_views_cnt int, visitor_cnt int, bounce_cnt int,
  visit_duration_sec_sum bigint, visit_duration_sec_avg int
)
PARTITIONED BY (domain_name string, event_date string)
STORED AS PARQUET
LOCATION 's3://CURATED-BUCKET/stats/';

CREATE EXTERNAL TABLE IF NOT EXISTS events (
  event_timestamp timestamp,
  edge_city string, edge_country string, edge_latitude double, edge_longitude double,
  request_path string, page_view_id string, daily_visitor_id string, event_data string,
  event_id string
)
PARTITIONED BY (domain_name string, event_date string, event_name string)
STORED AS PARQUET
LOCATION 's3://CURATED-BUCKET/events/';

CREATE EXTERNAL TABLE IF NOT EXISTS overview_1h (
  `timestamp` timestamp,
  count_active_sessions bigint, count_active_users bigint, count_active_clients bigint,
  count_new_sessions bigint, count_new_users bigint, count_new_clients bigint,
  pageviews bigint,
  sum_of_product_clicks bigint, product_clicks bigint,
  sum_of_product_details bigint, product_details bigint,
  sum_of_add_to_cart bigint, add_to_cart bigint,
  sum_of_remove_from_cart bigint, remove_from_cart bigint,
  transactions bigint, transaction_revenue double, transaction_tax double,
  transaction_shipping double, purchased_items bigint, purchased_products bigint
)
PARTITIONED BY (domain_name string, event_date string)
STORED AS PARQUET
LOCATION 's3://CURATED-BUCKET/overview_1h/';

CREATE EXTERNAL TABLE IF NOT EXISTS overview_1d (
  `timestamp` timestamp,
  count_active_sessions bigint, count_active_users bigint, count_active_clients bigint,
  count_new_sessions bigint, count_new_users bigint, count_new_clients bigint,
  pageviews bigint,
  sum_of_product_clicks bigint, product_clicks bigint,
  sum_of_product_details bigint, product_details bigint,
  sum_of_add_to_cart bigint, add_to_cart bigint,
  sum_of_remove_from_cart bigint, remove_from_cart bigint,
  transactions bigint, transaction_revenue double, transaction_tax double,
  transaction_shipping double, purchased_items bigint, purchased_products bigint
)
PARTITIONED BY (domain_name string, event_date string)
STORED AS PARQUET
LOCATION 's3://CURATED-BUCKET/overview_1d/';
