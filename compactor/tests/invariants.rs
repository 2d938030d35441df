//! Invariants on a synthetic day (seeds-spec C.3 and paas' own dbt test).

#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use shared::record::EventType;

fn ints(b: &arrow_array::RecordBatch, c: &str) -> Vec<i64> {
    col(b, c).iter().map(|v| v.parse().unwrap()).collect()
}

#[test]
fn synthetic_day_invariants() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path();
    let hits = synthetic_day(lake, 120, 7);
    let mut cfg = config(lake, &[DAY]);
    cfg.options.chunk_rows = 100;
    cfg.options.row_group_rows = 256;
    let s = run(cfg);
    let pageviews = hits
        .iter()
        .filter(|h| h.kind == EventType::Pageview)
        .count() as i64;
    assert!(s.duplicates > 0, "the orphan file holds duplicates");
    assert_eq!(
        s.rows_out,
        hits.len() as u64,
        "exactly the distinct events survive"
    );

    let stats = table(lake, DAY, "stats").unwrap();
    let sessions = table(lake, DAY, "sessions").unwrap();
    assert_eq!(
        ints(&stats, "page_views_cnt").iter().sum::<i64>(),
        pageviews
    );
    assert_eq!(
        ints(&stats, "visitor_cnt").iter().sum::<i64>(),
        sessions.num_rows() as i64
    );
    for (b, v) in ints(&stats, "bounce_cnt")
        .iter()
        .zip(ints(&stats, "visitor_cnt"))
    {
        assert!(*b <= v);
    }
    assert_eq!(
        ints(&stats, "visit_duration_sec_sum").iter().sum::<i64>(),
        ints(&sessions, "visit_duration_sec").iter().sum::<i64>()
    );
    assert_eq!(ints(&sessions, "pageviews").iter().sum::<i64>(), pageviews);
    let bounces = col(&sessions, "is_bounce")
        .iter()
        .filter(|b| *b == "true")
        .count() as i64;
    assert_eq!(ints(&stats, "bounce_cnt").iter().sum::<i64>(), bounces);
    assert!(sessions.num_rows() > 120, "the gap rule split some visits");

    let hourly = table(lake, DAY, "overview_1h").unwrap();
    let daily = table(lake, DAY, "overview_1d").unwrap();
    for (new, active) in [
        ("count_new_sessions", "count_active_sessions"),
        ("count_new_users", "count_active_users"),
        ("count_new_clients", "count_active_clients"),
    ] {
        assert_eq!(
            ints(&hourly, new).iter().sum::<i64>(),
            ints(&daily, active)[0],
            "{new}"
        );
    }
    assert_eq!(ints(&hourly, "pageviews").iter().sum::<i64>(), pageviews);
    assert!(ints(&daily, "transactions")[0] > 0);

    // The compacted pageviews are sorted by (event time, visitor, event id).
    let c = table(lake, DAY, "compacted").unwrap();
    let m = manifest(lake, DAY).unwrap();
    assert!(m.outputs.iter().filter(|o| o.table == "compacted").count() >= 2);
    let ts = ints(&c, "event_timestamp");
    let vis = col(&c, "daily_visitor_id");
    let ids = col(&c, "event_id");
    let types: Vec<&str> = m
        .outputs
        .iter()
        .filter(|o| o.table == "compacted")
        .flat_map(|o| {
            std::iter::repeat_n(
                if o.key.contains("=pageview/") {
                    "pv"
                } else {
                    "ev"
                },
                o.rows as usize,
            )
        })
        .collect();
    for i in 1..ts.len() {
        if types[i] == types[i - 1] {
            let a = (ts[i - 1], &vis[i - 1], &ids[i - 1]);
            let b = (ts[i], &vis[i], &ids[i]);
            assert!(a < b, "row {i}: {a:?} !< {b:?}");
        }
    }
}
