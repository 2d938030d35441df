"""DuckDB (PyPI) doing the compactor benchmark's two jobs over the same enriched files, one job
per process so /usr/bin/time measures each: `compact` = a sorted (event time, visitor) zstd
rewrite, Hive-partitioned like the input; `stats` = ownstats-style sessions and daily stats
(the REC definitions of docs/compactor.md, as in compactor/tests/py/crosscheck.py).

Usage: bench_compactor_duckdb.py compact|stats LAKE DAY OUT
"""
import sys

import duckdb

job, lake, day, out = sys.argv[1:5]
con = duckdb.connect()
con.execute("set TimeZone = 'UTC'")
con.execute("set preserve_insertion_order = false")
src = f"read_parquet('{lake}/incoming/*/*/event_date={day}/*.parquet', hive_partitioning = true)"

if job == "compact":
    con.execute(f"""
    copy (select * from {src} order by event_timestamp, daily_visitor_id)
    to '{out}' (format parquet, compression zstd, row_group_size 131072,
                partition_by (domain_name, event_type, event_date), overwrite_or_ignore)""")
elif job == "stats":
    dims = """edge_city, edge_country, edge_latitude, edge_longitude, referrer_domain_name,
    browser_name, browser_os_name, device_type, device_vendor, utm_source, utm_campaign,
    utm_medium, utm_content, utm_term, request_path"""
    con.execute(f"""
    create temp table pvs as
    select *, sum(is_start) over (partition by domain_name, daily_visitor_id order by t, event_id
                                  rows unbounded preceding) as sn
    from (select domain_name, event_date, daily_visitor_id, event_id, page_view_id, {dims},
                 epoch_ms(event_timestamp) as t,
                 case when epoch_ms(event_timestamp) - lag(epoch_ms(event_timestamp)) over
                      (partition by domain_name, daily_visitor_id order by event_timestamp, event_id)
                      <= 1800000 then 0 else 1 end as is_start
          from {src} where event_type = 'pageview')""")
    con.execute("""
    create temp table sess as
    select domain_name, event_date, daily_visitor_id, sn, min(t) as s, max(t) as e, count(*) as n
    from pvs group by all""")
    con.execute(f"""
    copy (select domain_name, event_date, sha256(daily_visitor_id || '|' || s::varchar) as session_id,
                 daily_visitor_id, s, e, (e - s) // 1000 as visit_duration_sec, n, s = e as is_bounce
          from sess)
    to '{out}/sessions' (format parquet, compression zstd, partition_by (domain_name, event_date),
                         overwrite_or_ignore)""")
    con.execute(f"""
    copy (select p.domain_name, p.event_date, (p.t // 3600000) % 24 as event_hour,
                 {dims.replace('request_path', 'p.request_path')},
                 count(*)::int as page_views_cnt, sum(p.is_start)::int as visitor_cnt,
                 sum(case when p.is_start = 1 and x.s = x.e then 1 else 0 end)::int as bounce_cnt,
                 sum(case when p.is_start = 1 then (x.e - x.s) // 1000 else 0 end)::bigint
                   as visit_duration_sec_sum
          from pvs p join sess x using (domain_name, event_date, daily_visitor_id, sn)
          group by all order by all)
    to '{out}/stats' (format parquet, compression zstd, partition_by (domain_name, event_date),
                      overwrite_or_ignore)""")
else:
    sys.exit(f"unknown job {job}")
