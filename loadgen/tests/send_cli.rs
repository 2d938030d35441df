//! End-to-end tests of `loadgen send` against a local recording server.

mod common;

use common::{loadgen, Server};
use shared::percent::decode_strict as percent_decode;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

fn send(server: &Server, extra: &[&str]) -> common::Run {
    let url = server.url();
    let mut args = vec![
        "send",
        "--target",
        &url,
        "--no-progress",
        "--timeout-ms",
        "5000",
    ];
    args.extend_from_slice(extra);
    loadgen(&args)
}

fn params(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("key=value");
            (
                k.to_string(),
                percent_decode(v)
                    .unwrap_or_else(|| panic!("bad escape in {kv}"))
                    .into_owned(),
            )
        })
        .collect()
}

#[test]
fn pixel_mode_sends_tracker_hits_with_browser_headers() {
    let server = Server::start();
    let run = send(
        &server,
        &["--mode", "pixel", "--events", "400", "--seed", "3"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let got = server.received();
    assert_eq!(got.len(), 400);
    assert_eq!((run.count("sent"), run.count("2xx")), (400, 400));
    let (mut ips, mut uas, mut referers, mut pageviews) = (HashSet::new(), HashSet::new(), 0, 0);
    for r in &got {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/hello.gif"));
        assert!(r.body.is_empty());
        let q = params(r.query.as_deref().expect("a query"));
        assert!(q["t"] == "pv" || q["t"] == "tr", "{q:?}");
        q["ts"].parse::<i64>().expect("ts is epoch ms");
        assert!(
            q["u"].starts_with("https://") && q["u"].contains(&q["hn"]),
            "{q:?}"
        );
        assert!(q["pa"].starts_with('/'));
        let ua = r.user_agent.clone().expect("User-Agent");
        if q["t"] == "pv" {
            pageviews += 1;
            // The tracker reports navigator.userAgent, which is the header the browser sends.
            assert_eq!(q["ua"], ua);
        }
        let ip = r.forwarded_for.as_deref().expect("X-Forwarded-For");
        ip.parse::<std::net::IpAddr>().expect("an IP address");
        ips.insert(ip.to_string());
        uas.insert(ua);
        if let Some(referer) = &r.referer {
            assert!(
                referer.starts_with(&format!("https://{}", q["hn"])),
                "{referer}"
            );
            referers += 1;
        }
    }
    // Many concurrent visitors, each with its own address and browser.
    assert!(
        ips.len() > 30 && uas.len() > 20,
        "{} ips, {} uas",
        ips.len(),
        uas.len()
    );
    assert!(
        pageviews > 200 && referers > 300,
        "{pageviews} pageviews, {referers} referers"
    );
}

fn assert_event(v: &serde_json::Value) {
    for key in ["v", "tid", "cid", "t", "dl", "tm"] {
        assert!(v.get(key).is_some(), "{key} missing in {v}");
    }
    assert!(v["t"] == "pageview" || v["t"] == "event", "{v}");
}

#[test]
fn collect_mode_sends_one_json_event_per_request() {
    let server = Server::start();
    let run = send(
        &server,
        &["--mode", "collect", "--events", "250", "--concurrency", "8"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let got = server.received();
    assert_eq!(got.len(), 250);
    let mut actions = HashSet::new();
    for r in &got {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/collect"));
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert!(r.user_agent.is_some() && r.forwarded_for.is_some());
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
        assert_event(&v);
        if let Some(pa) = v["pa"].as_str() {
            actions.insert(pa.to_string());
        }
    }
    assert!(
        actions.contains("detail") && actions.contains("add"),
        "{actions:?}"
    );
}

#[test]
fn batch_mode_sends_arrays_or_ndjson_with_exact_event_counts() {
    for (format, content_type) in [
        ("array", "application/json"),
        ("ndjson", "application/x-ndjson"),
    ] {
        let server = Server::start();
        let run = send(
            &server,
            &[
                "--mode",
                "batch",
                "--batch-size",
                "20",
                "--batch-format",
                format,
                "--events",
                "205",
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stdout);
        let got = server.received();
        assert_eq!(got.len(), 11, "205 events in batches of 20");
        let mut events = 0;
        for r in &got {
            assert_eq!(r.content_type.as_deref(), Some(content_type));
            let objects: Vec<serde_json::Value> = if format == "array" {
                serde_json::from_slice(&r.body).expect("a JSON array")
            } else {
                std::str::from_utf8(&r.body)
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str(l).expect("one object per line"))
                    .collect()
            };
            assert!(!objects.is_empty() && objects.len() <= 20);
            objects.iter().for_each(assert_event);
            events += objects.len();
        }
        assert_eq!(events, 205);
        assert_eq!((run.count("sent"), run.count("2xx")), (11, 11));
        assert!(
            run.stdout.contains("11 requests, 205 events"),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn events_is_exact_under_high_concurrency() {
    let server = Server::start();
    let run = send(
        &server,
        &["--events", "1500", "--concurrency", "64", "--seed", "9"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(server.received().len(), 1500);
    assert_eq!(run.count("sent"), 1500);
}

#[test]
fn refusals_make_the_run_fail_and_are_counted() {
    // Every 4th request is rate limited, every 5th finds the buffer full.
    let server = Server::with(|n| match n {
        n if n % 4 == 3 => 429,
        n if n % 5 == 4 => 503,
        _ => 204,
    });
    let run = send(&server, &["--mode", "collect", "--events", "100"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let (limited, unavailable) = (
        (0..100).filter(|n| n % 4 == 3).count() as u64,
        (0..100).filter(|n| n % 4 != 3 && n % 5 == 4).count() as u64,
    );
    assert_eq!(run.count("429"), limited);
    assert_eq!(run.count("5xx"), unavailable);
    assert!(run
        .stdout
        .contains(&format!("{unavailable} were 503 with Retry-After")));
    assert_eq!(run.count("2xx"), 100 - limited - unavailable);
    assert_eq!(run.count("4xx"), 0);

    let bad = Server::with(|_| 422);
    let run = send(&bad, &["--events", "5"]);
    assert_eq!((run.code, run.count("4xx")), (1, 5));
}

#[test]
fn an_unreachable_target_is_a_failed_run_not_a_hang() {
    // Bind and drop to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let run = loadgen(&["send", "--target", &url, "--events", "20", "--no-progress"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.count("transport errors"), 20);
    assert!(
        run.stdout.contains("first transport error"),
        "{}",
        run.stdout
    );
}

#[test]
fn rate_limit_holds() {
    let server = Server::start();
    // 200 events at 400/s: at least ~0.5 s minus the 4-event burst; only a lower bound.
    let run = send(&server, &["--events", "200", "--rate", "400"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.elapsed >= Duration::from_millis(400),
        "{:?}",
        run.elapsed
    );
    // Batches count events, not requests: 200 events in 10 requests take as long.
    let run = send(
        &server,
        &["--mode", "batch", "--events", "200", "--rate", "400"],
    );
    assert_eq!((run.code, run.count("sent")), (0, 10));
    assert!(
        run.elapsed >= Duration::from_millis(400),
        "{:?}",
        run.elapsed
    );
}

#[test]
fn duration_mode_stops_at_the_deadline() {
    let server = Server::start();
    let run = send(&server, &["--duration", "0.6", "--rate", "200"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.elapsed >= Duration::from_millis(600));
    let sent = run.count("sent");
    // Paced at 200/s for 0.6 s; the model never holds more than rate × duration × 1.1 + 100.
    assert!((60..=232).contains(&sent), "{sent}");
    assert_eq!(server.received().len() as u64, sent);
}

#[test]
fn same_seed_same_requests() {
    let bodies = |seed: &str| {
        let server = Server::start();
        let run = send(
            &server,
            &[
                "--mode",
                "collect",
                "--events",
                "50",
                "--concurrency",
                "1",
                "--seed",
                seed,
            ],
        );
        assert_eq!(run.code, 0);
        server
            .received()
            .into_iter()
            .map(|r| {
                let mut v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                // Event times hang off the current time; everything else is seeded.
                v["tm"] = serde_json::Value::Null;
                v
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(bodies("5"), bodies("5"));
    assert_ne!(bodies("5"), bodies("6"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["send", "--target", "https://127.0.0.1:1", "--events", "1"][..],
        &["send", "--target", "http://127.0.0.1:1"][..],
        &[
            "send",
            "--target",
            "http://127.0.0.1:1",
            "--events",
            "1",
            "--duration",
            "1",
        ][..],
        &[
            "send",
            "--target",
            "http://127.0.0.1:1",
            "--events",
            "1",
            "--mode",
            "batch",
            "--batch-size",
            "0",
        ][..],
        &[
            "send",
            "--target",
            "http://127.0.0.1:1",
            "--events",
            "1",
            "--concurrency",
            "0",
        ][..],
    ] {
        let run = loadgen(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
}
