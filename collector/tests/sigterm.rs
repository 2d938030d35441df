//! SIGTERM under load, on the real binary: every acknowledged event is in the stream.
#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use shared::stream::{open_stream, StreamUrl};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn sigterm_under_load(mode: &str) {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stream = format!("file://{}?shards=2", dir.path().display());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_collector"))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--stream",
            &stream,
            "--ack-mode",
            mode,
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        let req = hyper::Request::get(format!("{base}/healthz"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        if client.request(req).await.is_ok() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "collector did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let next = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, next, acked, base) =
            (client.clone(), next.clone(), acked.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let t0 = Instant::now();
            // Bounded in count and time; ends at the first refused connection.
            while t0.elapsed() < Duration::from_secs(10) {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i > 200_000 {
                    break;
                }
                let url = format!(
                    "{base}/hello.gif?t=pv&ts={}&hn=load.example",
                    1_700_000_000_000 + i
                );
                let req = hyper::Request::get(url)
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                match client.request(req).await {
                    Ok(r) if r.status() == 200 => acked.lock().unwrap().push(i),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let before = acked.lock().unwrap().len();
    assert!(before > 50, "load is flowing ({before} acked)");
    // Another process (this test) reads the embedded stream while the collector writes to it.
    let reader = open_stream(&stream.parse::<StreamUrl>().unwrap())
        .await
        .unwrap();
    let mid_run = support::stored(&reader).await.len();
    assert!(
        mid_run > 0,
        "records readable from a second process during writes"
    );
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    for t in tasks {
        t.await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "collector did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "clean exit: {status:?}");

    let h = open_stream(&stream.parse::<StreamUrl>().unwrap())
        .await
        .unwrap();
    let stored = support::stored_hit_numbers(&h).await;
    let unique: HashSet<u64> = stored.iter().copied().collect();
    assert_eq!(unique.len(), stored.len(), "{mode}: no event twice");
    let acked = acked.lock().unwrap();
    let missing = acked.iter().filter(|i| !unique.contains(i)).count();
    assert_eq!(
        missing,
        0,
        "{mode}: {missing} of {} acknowledged events missing",
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_no_acknowledged_event_durable() {
    sigterm_under_load("durable").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_no_acknowledged_event_buffered() {
    sigterm_under_load("buffered").await;
}
