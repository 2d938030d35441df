"""The compactor's table definitions written as SQL and run by DuckDB over the same input;
every table the compactor published must have the same rows.

Usage: crosscheck.py LAKE DAY   (LAKE/incoming = input, LAKE/curated = compactor output)
"""
import glob
import json
import sys
import urllib.parse

import duckdb

lake, day = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("set TimeZone = 'UTC'")


def live(table):
    files = []
    for m in glob.glob(f"{lake}/curated/_manifests/*/event_date={day}/current.json"):
        man = json.load(open(m))
        files += [f"{lake}/curated/{o['key']}" for o in man["outputs"] if o["table"] == table]
    assert files, f"no live files for {table}"
    return "read_parquet([" + ",".join(f"'{f}'" for f in sorted(files)) + "], hive_partitioning = true)"


con.execute(f"""
create table hits as
select * exclude (filename), epoch_ms(event_timestamp) as t
from read_parquet('{lake}/incoming/*/*/event_date={day}/*.parquet', hive_partitioning = true, filename = true)
qualify row_number() over (partition by event_id order by filename) = 1
""")

# --- sessions (ownstats A.10.1, REC: gap > 1800 s only, ties never split) --------------------
con.execute("""
create table pvs as
select *, sum(is_start) over (partition by domain_name, daily_visitor_id order by t, event_id
                              rows unbounded preceding) as sn
from (select *, case when t - lag(t) over (partition by domain_name, daily_visitor_id
                                           order by t, event_id) <= 1800000 then 0 else 1 end as is_start
      from hits where event_type = 'pageview')
""")
con.execute("""
create table sess as
select domain_name, daily_visitor_id, sn, min(t) as s, max(t) as e, count(*) as n,
       first(request_path order by t, event_id) as landing,
       last(request_path order by t, event_id) as exit,
       first(page_view_id order by t, event_id) as pvid,
       first(referrer_domain_name order by t, event_id) as ref
from pvs group by all
""")
checks = {}
checks["sessions"] = ("""
select domain_name, sha256(daily_visitor_id || '|' || s::varchar), daily_visitor_id, s, e,
       (e - s) // 1000, n::bigint, s = e, landing, exit, pvid, ref
from sess""", f"""
select domain_name, session_id, daily_visitor_id, epoch_ms(session_start), epoch_ms(session_end),
       visit_duration_sec, pageviews::bigint, is_bounce, landing_page, exit_page,
       landing_page_view_id, referrer_domain_name
from {live('sessions')}""")

# --- stats (A.10.2 with the REC fixes) -----------------------------------------------------
DIMS = """edge_city, edge_country, edge_latitude, edge_longitude, referrer_domain_name,
browser_name, browser_os_name, device_type, device_vendor, utm_source, utm_campaign,
utm_medium, utm_content, utm_term, request_path"""
checks["stats"] = (f"""
select domain_name, hour, {DIMS}, pv, visitors, bounces, dsum,
       case when visitors = 0 then 0 else round(dsum / visitors)::bigint end
from (select p.domain_name, (p.t // 3600000) % 24 as hour, {DIMS.replace('request_path', 'p.request_path')},
             count(*) as pv, sum(p.is_start)::bigint as visitors,
             sum(case when p.is_start = 1 and x.s = x.e then 1 else 0 end)::bigint as bounces,
             sum(case when p.is_start = 1 then (x.e - x.s) // 1000 else 0 end)::bigint as dsum
      from pvs p join sess x using (domain_name, daily_visitor_id, sn) group by all)""", f"""
select domain_name, event_hour, {DIMS}, page_views_cnt, visitor_cnt, bounce_cnt,
       visit_duration_sec_sum, visit_duration_sec_avg
from {live('stats')}""")

# --- overview (paas B.3: client sessions, purchases de-duplicated by transaction) -----------
con.execute("""
create table oh as
select *, sum(st) over (partition by domain_name, ck order by t, event_id rows unbounded preceding) as sn,
       case when user_id is not null and row_number() over (partition by domain_name, user_id
            order by t, event_id) = 1 then 1 else 0 end as nu,
       case when row_number() over (partition by domain_name, ck order by t, event_id) = 1
            then 1 else 0 end as nc
from (select *, case when t - lag(t) over (partition by domain_name, ck order by t, event_id)
                     <= 1800000 then 0 else 1 end as st
      from (select *, coalesce(client_id, daily_visitor_id) as ck,
                   case when product_action = 'purchase' then nullif(upper(trim(transaction_id)), '') end as tx
            from hits where event_type in ('pageview', 'event')
            qualify tx is null or row_number() over (partition by domain_name, tx order by t, event_id) = 1))
""")
con.execute("""
create table op as
select domain_name, t, ck, sn, product_action as a, upper(trim(p.id)) as pid, coalesce(p.quantity, 0) as q
from (select *, unnest(products) as p from oh
      where product_action in ('click', 'detail', 'add', 'remove', 'purchase'))
""")


def overview(bucket):
    return f"""
with h as (
  select domain_name, {bucket} as b,
         count(distinct (ck, sn)) as s, count(distinct user_id) as u, count(distinct ck) as c,
         sum(st)::bigint as ns, sum(nu)::bigint as nu, sum(nc)::bigint as nc,
         count(*) filter (where event_type = 'pageview') as pv,
         count(distinct tx) as tr,
         round(coalesce(sum(transaction_revenue) filter (where tx is not null), 0), 6) as rev,
         round(coalesce(sum(transaction_tax) filter (where tx is not null), 0), 6) as tax,
         round(coalesce(sum(transaction_shipping) filter (where tx is not null), 0), 6) as ship
  from oh group by all),
p as (
  select domain_name, {bucket} as b,
         count(*) filter (where a = 'click') as c1, count(distinct (ck, sn, pid)) filter (where a = 'click') as c2,
         count(*) filter (where a = 'detail') as d1, count(distinct (ck, sn, pid)) filter (where a = 'detail') as d2,
         count(*) filter (where a = 'add') as a1, count(distinct (ck, sn, pid)) filter (where a = 'add') as a2,
         count(*) filter (where a = 'remove') as r1, count(distinct (ck, sn, pid)) filter (where a = 'remove') as r2,
         coalesce(sum(q) filter (where a = 'purchase'), 0) as items,
         count(distinct pid) filter (where a = 'purchase') as products
  from op group by all)
select h.domain_name, h.b, s, u, c, ns, nu, nc, pv,
       coalesce(c1, 0), coalesce(c2, 0), coalesce(d1, 0), coalesce(d2, 0),
       coalesce(a1, 0), coalesce(a2, 0), coalesce(r1, 0), coalesce(r2, 0),
       tr, rev, tax, ship, coalesce(items, 0)::bigint, coalesce(products, 0)
from h left join p using (domain_name, b)"""


OURS_OVERVIEW = """
select domain_name, epoch_ms("timestamp"), count_active_sessions, count_active_users,
       count_active_clients, count_new_sessions, count_new_users, count_new_clients, pageviews,
       sum_of_product_clicks, product_clicks, sum_of_product_details, product_details,
       sum_of_add_to_cart, add_to_cart, sum_of_remove_from_cart, remove_from_cart, transactions,
       round(transaction_revenue, 6), round(transaction_tax, 6), round(transaction_shipping, 6),
       purchased_items, purchased_products
from {}"""
checks["overview_1h"] = (overview("t // 3600000 * 3600000"), OURS_OVERVIEW.format(live("overview_1h")))
checks["overview_1d"] = (overview("t // 86400000 * 86400000"), OURS_OVERVIEW.format(live("overview_1d")))

# --- events and the compacted table: same rows --------------------------------------------
checks["events"] = ("""
select domain_name, coalesce(nullif(event_name, ''), '__HIVE_DEFAULT_PARTITION__'), event_id, t, request_path, event_data
from hits where event_type = 'event'""", f"""
select domain_name, event_name, event_id, epoch_ms(event_timestamp), request_path, event_data
from {live('events')}""")
checks["compacted"] = ("""
select domain_name, event_type, event_id, t, daily_visitor_id, request_path, products::varchar
from hits""", f"""
select domain_name, event_type, event_id, epoch_ms(event_timestamp), daily_visitor_id, request_path, products::varchar
from {live('compacted')}""")


def norm(rows):
    out = []
    for r in rows:
        r = tuple(urllib.parse.unquote(x) if isinstance(x, str) and "%" in x else x for x in r)
        out.append(tuple(str(x) for x in r))
    return sorted(out)


failed = False
for name, (want_sql, got_sql) in checks.items():
    want = norm(con.execute(want_sql).fetchall())
    got = norm(con.execute(got_sql).fetchall())
    if want != got:
        failed = True
        missing = [r for r in want if r not in set(got)][:5]
        extra = [r for r in got if r not in set(want)][:5]
        print(f"{name}: {len(want)} expected rows, {len(got)} ours\n  missing {missing}\n  extra {extra}")
    else:
        print(f"{name}: {len(got)} rows agree")
sys.exit(1 if failed else 0)
