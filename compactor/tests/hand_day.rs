//! A small day computed by hand: ties, a session across the 30-minute boundary, a lone
//! pageview, a double-fired pageview, a duplicate (orphan) file, events at 23:59:59 and
//! 00:00:00, a purchase sent twice. Plus the run-level behaviours: re-runs, late data, an
//! empty day.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use compactor::core::manifest::version_created_ms;

const D2: &str = "2026-11-21";

/// The hand-computed day. Visitors: 1 = ties and the 30-minute rule, 2 = lone pageview (also
/// duplicated by an orphan file), 3 = double-fired pageview, 4 = 23:59:59 then 00:00:00.
fn day_hits() -> (Vec<Hit>, Vec<Hit>, Vec<Hit>) {
    let pageviews = vec![
        pv(at(10, 0, 0, 0), 1, 0x10, "/a"),
        pv(at(10, 0, 0, 0), 1, 0x11, "/b"), // tie: same ms, later event id
        pv(at(10, 30, 0, 0), 1, 0x12, "/c"), // gap exactly 1800 s: same session
        pv(at(11, 0, 0, 1), 1, 0x13, "/d"), // gap 1800.001 s: new session
        pv(at(12, 0, 0, 0), 2, 0x20, "/a"), // lone pageview
        pv(at(13, 0, 0, 0), 3, 0x30, "/a"), // double-fired …
        pv(at(13, 0, 0, 0), 3, 0x31, "/a"), // … in the same millisecond
        pv(at(23, 59, 59, 0), 4, 0x40, "/x"),
    ];
    let mut buy = ev(at(14, 0, 0, 0), 5, 0x50, "purchase");
    buy.client_id = Some("c1".into());
    buy.user_id = Some("u1".into());
    buy.action = Some("purchase".into());
    buy.transaction = Some("T1".into());
    buy.money = [Some(100.0), Some(19.0), Some(5.0)];
    buy.products = vec![(Some("p1".into()), Some(2)), (Some("p2".into()), Some(1))];
    let mut click = ev(at(14, 1, 0, 0), 5, 0x51, "click");
    click.client_id = Some("c1".into());
    click.action = Some("click".into());
    click.products = vec![(Some("p1".into()), None)];
    let mut again = buy.clone();
    again.ts = at(14, 5, 0, 0);
    again.event_id = 0x52;
    again.transaction = Some(" t1 ".into()); // the same transaction, sent twice
    let events = vec![
        ev(at(10, 10, 0, 0), 1, 0x60, "tabHidden"),
        buy,
        click,
        again,
    ];
    let next_day = vec![pv(at(24, 0, 0, 0), 4, 0x41, "/y")];
    (pageviews, events, next_day)
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (pageviews, events, next_day) = day_hits();
    // Two files per partition, out of time order, plus an orphan copy of visitor 2's pageview.
    write_input(dir.path(), "s1-b.parquet", &pageviews[4..]);
    write_input(dir.path(), "s1-a.parquet", &pageviews[..4]);
    write_input(dir.path(), "s2-orphan.parquet", &pageviews[4..5]);
    write_input(dir.path(), "s1-a.parquet", &events);
    write_input(dir.path(), "s1-a.parquet", &next_day);
    dir
}

#[test]
fn hand_computed_day() {
    let dir = setup();
    let lake = dir.path();
    let s = run(config(lake, &[DAY, D2]));
    assert_eq!((s.units, s.computed, s.duplicates), (2, 2, 1));
    assert_eq!((s.rows_in, s.rows_out), (8 + 1 + 4 + 1, 8 + 4 + 1));

    // Compacted: de-duplicated, sorted by event time, then visitor, then event id.
    let c = table(lake, DAY, "compacted").unwrap();
    assert_eq!(c.num_rows(), 12);
    let pvs: Vec<String> = table(lake, DAY, "compacted")
        .map(|b| col(&b, "request_path"))
        .unwrap();
    assert_eq!(pvs.len(), 12);
    let m = manifest(lake, DAY).unwrap();
    let compacted_pv: Vec<_> = m
        .outputs
        .iter()
        .filter(|o| o.table == "compacted" && o.key.contains("event_type=pageview"))
        .collect();
    assert_eq!(compacted_pv.len(), 1);
    assert_eq!(compacted_pv[0].rows, 8);

    // Sessions, by start then visitor.
    let s = table(lake, DAY, "sessions").unwrap();
    let rows: Vec<String> = (0..s.num_rows())
        .map(|i| {
            [
                "daily_visitor_id",
                "pageviews",
                "visit_duration_sec",
                "is_bounce",
                "landing_page",
                "exit_page",
            ]
            .iter()
            .map(|c| {
                let v = col(&s, c)[i].clone();
                if *c == "daily_visitor_id" {
                    v[..2].to_string()
                } else {
                    v
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
        })
        .collect();
    assert_eq!(
        rows,
        [
            "01 3 1800 false /a /c", // ties do not split; 1800 s exactly does not split
            "01 1 0 true /d /d",     // 1800.001 s later: a new, single-pageview session
            "02 1 0 true /a /a",     // lone pageview (its orphan duplicate removed)
            "03 2 0 true /a /a",     // double-fired: one session, one bounce
            "04 1 0 true /x /x",     // 23:59:59; 00:00:00 belongs to the next day
        ]
    );
    let ids = col(&s, "session_id");
    assert_eq!(
        ids[0],
        compactor::core::sessions::session_id(&visitor_id(1), at(10, 0, 0, 0))
    );

    // Stats: (hour, path) → pageviews, visitors, bounces, duration sum, avg.
    let st = table(lake, DAY, "stats").unwrap();
    let cols = [
        "event_hour",
        "request_path",
        "page_views_cnt",
        "visitor_cnt",
        "bounce_cnt",
        "visit_duration_sec_sum",
        "visit_duration_sec_avg",
    ];
    let rows: Vec<String> = (0..st.num_rows())
        .map(|i| {
            cols.iter()
                .map(|c| col(&st, c)[i].clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        rows,
        [
            "10 /a 1 1 0 1800 1800",
            "10 /b 1 0 0 0 0",
            "10 /c 1 0 0 0 0",
            "11 /d 1 1 1 0 0",
            "12 /a 1 1 1 0 0",
            "13 /a 2 1 1 0 0",
            "23 /x 1 1 1 0 0",
        ]
    );

    // Events: one partition per name; both purchase hits are kept here (raw events).
    let m = manifest(lake, DAY).unwrap();
    let mut names: Vec<(String, u64)> = m
        .outputs
        .iter()
        .filter(|o| o.table == "events")
        .map(|o| {
            let seg = o
                .key
                .split('/')
                .find(|s| s.starts_with("event_name="))
                .unwrap();
            (seg.to_string(), o.rows)
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("event_name=click".to_string(), 1),
            ("event_name=purchase".to_string(), 2),
            ("event_name=tabHidden".to_string(), 1)
        ]
    );

    // Overview: the purchase sent twice counts once.
    let d = table(lake, DAY, "overview_1d").unwrap();
    let get = |c: &str| col(&d, c)[0].clone();
    assert_eq!(d.num_rows(), 1);
    // Sessions: visitor 1 ×2, 2, 3, 4, client c1 → 6; clients 5; users 1.
    assert_eq!(get("count_active_sessions"), "6");
    assert_eq!(get("count_active_clients"), "5");
    assert_eq!(get("count_active_users"), "1");
    assert_eq!(get("pageviews"), "8");
    assert_eq!(get("transactions"), "1");
    assert_eq!(get("transaction_revenue"), "100");
    assert_eq!(get("transaction_tax"), "19");
    assert_eq!(get("transaction_shipping"), "5");
    assert_eq!(get("purchased_items"), "3");
    assert_eq!(get("purchased_products"), "2");
    assert_eq!(
        (get("sum_of_product_clicks"), get("product_clicks")),
        ("1".into(), "1".into())
    );
    let h = table(lake, DAY, "overview_1h").unwrap();
    let hours: Vec<String> = col(&h, "timestamp")
        .iter()
        .map(|t| ((t.parse::<i64>().unwrap() - at(0, 0, 0, 0)) / 3_600_000).to_string())
        .collect();
    assert_eq!(hours, ["10", "11", "12", "13", "14", "23"]);
    let new: i64 = col(&h, "count_new_sessions")
        .iter()
        .map(|v| v.parse::<i64>().unwrap())
        .sum();
    assert_eq!(new, 6, "Σ hourly new sessions = daily sessions");

    // The next day: visitor 4's 00:00:00 pageview is its own session there.
    let s2 = table(lake, D2, "sessions").unwrap();
    assert_eq!(col(&s2, "session_start"), [at(24, 0, 0, 0).to_string()]);
}

#[test]
fn rerun_is_idempotent_and_late_data_is_recomputed() {
    let dir = setup();
    let lake = dir.path();
    run(config(lake, &[DAY]));
    let first = manifest(lake, DAY).unwrap();
    let stats_before = table(lake, DAY, "stats").unwrap();

    // Same input: nothing to do.
    let s = run(config(lake, &[DAY]));
    assert_eq!((s.computed, s.up_to_date), (0, 1));
    assert_eq!(manifest(lake, DAY).unwrap().version, first.version);

    // Forced: a new version with the same content; the old one is deleted (grace 0).
    let mut cfg = config(lake, &[DAY]);
    cfg.force = true;
    run(cfg);
    let second = manifest(lake, DAY).unwrap();
    assert_ne!(second.version, first.version);
    assert_eq!(table(lake, DAY, "stats").unwrap(), stats_before);
    for o in &first.outputs {
        assert!(
            !lake.join("curated").join(&o.key).exists(),
            "{} not cleaned",
            o.key
        );
    }

    // A late file arrives: the day is recomputed and includes it.
    write_input(
        lake,
        "s9-late.parquet",
        &[pv(at(15, 0, 0, 0), 9, 0x90, "/late")],
    );
    let s = run(config(lake, &[DAY]));
    assert_eq!((s.computed, s.late), (1, 1));
    let m = manifest(lake, DAY).unwrap();
    assert_eq!(m.counts.rows_out, second.counts.rows_out + 1);
    assert!(
        col(&table(lake, DAY, "sessions").unwrap(), "landing_page").contains(&"/late".to_string())
    );
}

#[test]
fn grace_period_keeps_the_previous_version_readable() {
    let dir = setup();
    let lake = dir.path();
    run(config(lake, &[DAY]));
    let first = manifest(lake, DAY).unwrap();
    let mut cfg = config(lake, &[DAY]);
    cfg.force = true;
    cfg.grace_ms = 3_600_000;
    run(cfg);
    let second = manifest(lake, DAY).unwrap();
    assert_eq!(second.retired.len(), 1);
    assert_eq!(second.retired[0].version, first.version);
    assert!(version_created_ms(&second.version).is_some());
    for o in &first.outputs {
        assert!(
            lake.join("curated").join(&o.key).exists(),
            "{} deleted too early",
            o.key
        );
    }
    // Once the grace period is over, even a run with nothing to recompute deletes it, and
    // leaves the live manifest alone.
    let s = run(config(lake, &[DAY]));
    assert_eq!(s.up_to_date, 1);
    for o in &first.outputs {
        assert!(
            !lake.join("curated").join(&o.key).exists(),
            "{} not cleaned",
            o.key
        );
    }
    assert_eq!(manifest(lake, DAY).unwrap(), second);
    for o in &second.outputs {
        assert!(lake.join("curated").join(&o.key).exists());
    }
}

#[test]
fn empty_day_gives_empty_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path();
    std::fs::create_dir_all(lake.join("incoming")).unwrap();
    // No input, no domain named: nothing to do, not an error.
    let s = run(config(lake, &["2026-11-19"]));
    assert_eq!((s.units, s.computed), (0, 0));
    // A named domain gets a published, empty version.
    let mut cfg = config(lake, &["2026-11-19"]);
    cfg.domains = vec!["shop.example".into()];
    let s = run(cfg);
    assert_eq!((s.units, s.computed, s.rows_out), (1, 1, 0));
    let m = manifest(lake, "2026-11-19").unwrap();
    assert!(m.outputs.is_empty() && m.inputs.is_empty());
}

#[test]
fn expired_input_never_shrinks_a_published_day() {
    let dir = setup();
    let lake = dir.path();
    run(config(lake, &[DAY]));
    let first = manifest(lake, DAY).unwrap();
    // A lifecycle rule expires one of the small input files.
    let gone = lake.join("incoming").join(&first.inputs[0].key);
    std::fs::remove_file(gone).unwrap();
    let s = run(config(lake, &[DAY]));
    assert_eq!((s.computed, s.up_to_date), (0, 1));
    assert_eq!(manifest(lake, DAY).unwrap(), first);
    // The operator can still recompute from what is left.
    let mut cfg = config(lake, &[DAY]);
    cfg.force = true;
    assert_eq!(run(cfg).computed, 1);
    assert!(manifest(lake, DAY).unwrap().counts.rows_in < first.counts.rows_in);
}
