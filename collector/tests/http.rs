//! The collector over real HTTP on loopback, writing into the embedded stream and kinesis-mock.
#![allow(clippy::unwrap_used)]

mod support;

use shared::envelope::HitKind;
use shared::stream::{open_stream, StreamHandle, StreamUrl};
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use support::*;

const UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const PIXEL_Q: &str = "t=pv&ts=1702852983288&u=https%3A%2F%2Fmapthe.cloud%2F&hn=mapthe.cloud&pa=%2F&r=https%3A%2F%2Fcloudsecdocs.com%2F&iw=1728&ih=995&l=en-US&tz=America%2FLos_Angeles";

async fn round_trip(h: StreamHandle) {
    let c = start(&["--trusted-hops", "1"], h.writer.clone()).await;
    let base = format!("http://{}", c.addr);
    let r = request(
        "GET",
        &format!("{base}/hello.gif?{PIXEL_Q}"),
        &[
            ("user-agent", UA),
            ("referer", "https://mapthe.cloud/"),
            ("x-forwarded-for", "6.6.6.6, 203.0.113.7"),
            ("cloudfront-viewer-country", "DE"),
            ("cloudfront-viewer-city", "Hamburg"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "image/gif");
    assert_eq!(
        r.headers["cache-control"],
        "no-store, no-cache, must-revalidate, max-age=0"
    );
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    assert_eq!(r.body.len(), 43);

    let single = r#"{"v":"1","t":"pageview","cid":"555.1","dl":"https://shop.example/a","dt":"A"}"#;
    let r = request(
        "POST",
        &format!("{base}/collect"),
        &[("content-type", "application/json"), ("user-agent", UA)],
        single,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let a = r#"{"t":"event","cid":"555.1","dh":"shop.example","ec":"ecommerce","ea":"purchase","ti":"T1","tr":"10.5","pr1id":"p1","pr2id":"p2"}"#;
    let b = r#"{"t":"pageview","cid":"555.2","dl":"https://shop.example/b"}"#;
    let r = request(
        "POST",
        &format!("{base}/collect"),
        &[("content-type", "application/json")],
        format!("[{a},{b}]"),
    )
    .await;
    assert_eq!((r.status, &r.body[..]), (200, &br#"{"accepted":2}"#[..]));
    let r = request(
        "POST",
        &format!("{base}/collect"),
        &[("content-type", "application/x-ndjson")],
        format!("{a}\n{b}\n"),
    )
    .await;
    assert_eq!(r.status, 200);
    let pre = request(
        "OPTIONS",
        &format!("{base}/collect"),
        &[("origin", "https://shop.example")],
        "",
    )
    .await;
    assert_eq!(pre.status, 204);
    assert!(pre.headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));

    c.shutdown.cancel();
    let summary = c.task.await.unwrap().unwrap();
    assert_eq!(summary.written, 6);

    let records = stored(&h).await;
    assert_eq!(records.len(), 6, "one record per event");
    let envs: Vec<_> = records.iter().map(decode).collect();
    let ids: HashSet<_> = envs.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 6, "distinct event ids");
    let px = envs.iter().find(|e| e.kind == HitKind::Pixel).unwrap();
    assert_eq!(px.query, PIXEL_Q);
    assert_eq!(px.path, "/hello.gif");
    assert_eq!(px.user_agent, UA);
    assert_eq!(px.referer, Some("https://mapthe.cloud/"));
    assert_eq!(
        px.client_ip.to_string(),
        "203.0.113.7",
        "the entry our trusted proxy added"
    );
    let viewer = px.viewer.unwrap();
    assert_eq!(
        (viewer.country_code, viewer.city),
        (Some("DE"), Some("Hamburg"))
    );
    assert!(px.request_bytes > PIXEL_Q.len() as u32);
    let bodies: Vec<&[u8]> = envs
        .iter()
        .filter(|e| e.kind == HitKind::Collect)
        .map(|e| e.body)
        .collect();
    assert_eq!(
        bodies.iter().filter(|x| **x == single.as_bytes()).count(),
        1
    );
    assert_eq!(
        bodies.iter().filter(|x| **x == a.as_bytes()).count(),
        2,
        "batch events kept byte for byte"
    );
    assert_eq!(bodies.iter().filter(|x| **x == b.as_bytes()).count(), 2);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(envs.iter().all(|e| (now - e.arrival_ms).abs() < 60_000));
}

#[tokio::test]
async fn pixel_and_collect_round_trip_into_the_embedded_stream() {
    let (_dir, h) = embedded().await;
    round_trip(h).await;
}

#[tokio::test]
#[ignore = "needs kinesis-mock: scripts/test.sh runs it"]
async fn pixel_and_collect_round_trip_into_kinesis() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_KINESIS").is_ok(),
        "run scripts/test.sh"
    );
    let name = format!("collector-{}", uuid::Uuid::now_v7().simple());
    let h = open_stream(&StreamUrl::Kinesis { stream: name })
        .await
        .unwrap();
    h.admin.ensure_stream(2).await.unwrap();
    round_trip(h).await;
}

#[tokio::test]
async fn every_bad_input_class_gets_its_4xx_and_nothing_is_written() {
    let (_dir, h) = embedded().await;
    let c = start(
        &[
            "--max-body-bytes",
            "2000",
            "--max-query-bytes",
            "600",
            "--max-batch-events",
            "3",
        ],
        h.writer.clone(),
    )
    .await;
    let base = format!("http://{}", c.addr);
    let ok = r#"{"t":"pageview","cid":"1","dl":"https://a.example/"}"#;
    let long_query = format!("{PIXEL_Q}&x={}", "a".repeat(600));
    let big = format!("[{}]", vec![ok; 40].join(","));
    let four = format!("[{}]", [ok; 4].join(","));
    // (method, path+query, content type, body, status, reason fragment)
    let cases: Vec<(&str, String, &str, Vec<u8>, u16, &str)> = vec![
        ("GET", "/hello.gif".into(), "", vec![], 400, "missing query"),
        (
            "GET",
            "/hello.gif?t=pv&hn=a.example".into(),
            "",
            vec![],
            400,
            "missing ts",
        ),
        (
            "GET",
            "/hello.gif?t=pv&ts=1&hn=%FF".into(),
            "",
            vec![],
            400,
            "not UTF-8",
        ),
        (
            "GET",
            format!("/hello.gif?{long_query}"),
            "",
            vec![],
            414,
            "too long",
        ),
        (
            "POST",
            "/collect".into(),
            "application/json",
            b"{\"t\":".to_vec(),
            400,
            "malformed JSON",
        ),
        (
            "POST",
            "/collect".into(),
            "application/json",
            b"{\"t\":\"\xff\"}".to_vec(),
            400,
            "UTF-8",
        ),
        (
            "POST",
            "/collect".into(),
            "application/json",
            br#"{"t":"pageview"}"#.to_vec(),
            422,
            "missing cid",
        ),
        (
            "POST",
            "/collect".into(),
            "application/json",
            b"[1]".to_vec(),
            422,
            "not a JSON object",
        ),
        (
            "POST",
            "/collect".into(),
            "application/json",
            b"".to_vec(),
            400,
            "empty body",
        ),
        (
            "POST",
            "/collect".into(),
            "image/png",
            ok.as_bytes().to_vec(),
            415,
            "content type",
        ),
        (
            "POST",
            "/collect".into(),
            "application/json",
            big.into_bytes(),
            413,
            "",
        ),
        (
            "POST",
            "/collect".into(),
            "application/json",
            four.into_bytes(),
            413,
            "at most 3",
        ),
    ];
    for (method, path, ct, body, status, reason) in cases {
        let headers: Vec<(&str, &str)> = if ct.is_empty() {
            vec![]
        } else {
            vec![("content-type", ct)]
        };
        let r = request(method, &format!("{base}{path}"), &headers, body).await;
        let text = String::from_utf8_lossy(&r.body).to_string();
        assert_eq!(r.status, status, "{method} {path:.60}: {text}");
        assert!(text.contains(reason), "{method} {path:.60}: {text}");
    }
    let r = request("GET", &format!("{base}/nope"), &[], "").await;
    assert_eq!(r.status, 404);
    c.shutdown.cancel();
    assert_eq!(c.task.await.unwrap().unwrap().written, 0);
    assert!(
        stored(&h).await.is_empty(),
        "nothing from a refused request reached the stream"
    );
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_retry_after() {
    let (_dir, h) = embedded().await;
    let c = start(
        &[
            "--rate-limit-per-ip",
            "2",
            "--rate-limit-burst",
            "5",
            "--trusted-hops",
            "1",
        ],
        h.writer.clone(),
    )
    .await;
    let url = format!("http://{}/hello.gif?{PIXEL_Q}", c.addr);
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let r = request("GET", &url, &[("x-forwarded-for", "198.51.100.1")], "").await;
        if r.status == 429 {
            assert!(r.headers.contains_key("retry-after"));
        }
        statuses.push(r.status);
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        (5..=8).contains(&ok),
        "burst of 5 plus what 2/s refills: {statuses:?}"
    );
    assert_eq!(ok + statuses.iter().filter(|s| **s == 429).count(), 20);
    // Another client is not affected.
    let other = request("GET", &url, &[("x-forwarded-for", "198.51.100.2")], "").await;
    assert_eq!(other.status, 200);
    c.shutdown.cancel();
    c.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_stalled_stream_fills_the_buffer_then_503_and_recovers_without_loss_or_duplicates() {
    let (_dir, h) = embedded().await;
    let stall = Stall::new(h.writer.clone());
    let c = start(
        &[
            "--ack-mode",
            "buffered",
            "--buffer-records",
            "20",
            "--linger-ms",
            "1",
        ],
        stall.clone(),
    )
    .await;
    let base = format!("http://{}", c.addr);
    let pixel = |i: usize| {
        format!(
            "{base}/hello.gif?t=pv&ts={}&hn=a.example",
            1_700_000_000_000u64 + i as u64
        )
    };
    stall.stalled.store(true, Ordering::SeqCst);
    let mut acked = Vec::new();
    let mut refused = 0;
    for i in 0..60 {
        let r = request("GET", &pixel(i), &[], "").await;
        match r.status {
            200 => acked.push(i),
            503 => {
                assert_eq!(r.headers["retry-after"], "1");
                refused += 1;
            }
            s => panic!("unexpected {s}"),
        }
    }
    assert_eq!(refused, 40, "a full buffer refuses the rest");
    assert_eq!(
        acked.len(),
        20,
        "exactly the buffer capacity is accepted while stalled"
    );
    let ready = request("GET", &format!("{base}/readyz"), &[], "").await;
    assert_eq!(
        ready.status, 503,
        "not ready while the buffer is above its high-water mark"
    );

    stall.stalled.store(false, Ordering::SeqCst);
    let mut accepted_again = false;
    for i in 100..200 {
        let r = request("GET", &pixel(i), &[], "").await;
        if r.status == 200 {
            acked.push(i);
            accepted_again = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(accepted_again, "accepted again once the stream is back");
    c.shutdown.cancel();
    let summary = c.task.await.unwrap().unwrap();
    assert_eq!(summary.lost, 0);

    let seen: Vec<usize> = stored_hit_numbers(&h)
        .await
        .into_iter()
        .map(|i| i as usize)
        .collect();
    let unique: HashSet<_> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no event written twice");
    for i in &acked {
        assert!(
            unique.contains(i),
            "acknowledged event {i} is in the stream"
        );
    }
    assert_eq!(
        unique.len(),
        acked.len(),
        "only acknowledged events were written"
    );
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let (_dir, h) = embedded().await;
    let c = start(&[], h.writer.clone()).await;
    let base = format!("http://{}", c.addr);
    assert_eq!(status(&format!("{base}/healthz")).await, 200);
    assert_eq!(
        request("GET", &format!("{base}/readyz"), &[], "")
            .await
            .status,
        200
    );
    request("GET", &format!("{base}/hello.gif?{PIXEL_Q}"), &[], "").await;
    // The accept loop answers GET /hello.gif itself; the pixel's other methods and near-miss
    // paths still go through the router.
    let head = request("HEAD", &format!("{base}/hello.gif?{PIXEL_Q}"), &[], "").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.headers["content-type"], "image/gif");
    assert!(head.body.is_empty());
    let post = request("POST", &format!("{base}/hello.gif?{PIXEL_Q}"), &[], "x").await;
    assert_eq!(post.status, 405);
    let slash = request("GET", &format!("{base}/hello.gif/?{PIXEL_Q}"), &[], "").await;
    assert_eq!(slash.status, 404);
    let m = request("GET", &format!("{base}/metrics"), &[], "").await;
    let text = String::from_utf8(m.body.to_vec()).unwrap();
    assert!(
        text.contains("collector_requests_total{route=\"pixel\",status=\"200\"} 2"),
        "{text}"
    );
    c.shutdown.cancel();
    c.task.await.unwrap().unwrap();
}
