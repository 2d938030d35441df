//! The worker's timers in paused (virtual) time on the embedded backends: lease expiry after a
//! crash, graceful handoff on shutdown, and the flush-age timer. Virtual time makes the bounds
//! exact instead of "eventually": tokio auto-advances the clock only when every task waits on a
//! timer (never while a blocking store call is in flight).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{worker_config, Fleet};
use enricher::fleet::worker::run;
use shared::lease::LeaseStore;
use std::collections::HashSet;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const FAILOVER: Duration = Duration::from_secs(3);

fn spawn(
    fleet: &Fleet,
    id: &str,
    token: &CancellationToken,
    flush_age: Duration,
) -> tokio::task::JoinHandle<()> {
    let mut cfg = worker_config(
        id,
        fleet.stream.clone(),
        fleet.leases.clone(),
        fleet.output.clone(),
    );
    cfg.failover = FAILOVER;
    cfg.flush_age = flush_age;
    cfg.flush_records = 1_000_000;
    let t = token.clone();
    tokio::spawn(async move {
        run(cfg, t).await.unwrap();
    })
}

/// Waits (virtual time) until `pred` holds for the owners of all leases; returns when.
async fn until_owners(
    fleet: &Fleet,
    limit: Duration,
    pred: impl Fn(&[Option<String>]) -> bool,
) -> Instant {
    let start = Instant::now();
    loop {
        let owners: Vec<Option<String>> = fleet
            .leases
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.lease_owner)
            .collect();
        if !owners.is_empty() && pred(&owners) {
            return Instant::now();
        }
        assert!(
            start.elapsed() < limit,
            "condition not reached in {limit:?}: {owners:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn all_owned_by(who: &'static str) -> impl Fn(&[Option<String>]) -> bool {
    move |o| o.iter().all(|x| x.as_deref() == Some(who))
}

#[tokio::test(start_paused = true)]
async fn a_crashed_workers_leases_move_after_failover_not_before() {
    let mut fleet = Fleet::new();
    fleet.write(100, 0).await;
    let token = CancellationToken::new();
    let crash = CancellationToken::new();
    let w1 = spawn(&fleet, "w1", &crash, Duration::from_millis(500));
    until_owners(&fleet, Duration::from_secs(30), all_owned_by("w1")).await;
    let w2 = spawn(&fleet, "w2", &token, Duration::from_millis(500));
    // Balancing: w2 steals until both hold two.
    until_owners(&fleet, Duration::from_secs(60), |o| {
        o.iter().filter(|x| x.as_deref() == Some("w2")).count() == 2
    })
    .await;
    w1.abort(); // crash: no commit, no release
    let crashed = Instant::now();
    let took = until_owners(&fleet, Duration::from_secs(60), all_owned_by("w2")).await - crashed;
    // Expiry is judged on w2's own clock: the counter must stand still for `failover`, seen
    // from w2's observations, which lag the crash by at most a heartbeat; then one round.
    let heartbeat = FAILOVER / 3;
    assert!(took >= FAILOVER - heartbeat, "taken too early: {took:?}");
    assert!(
        took <= FAILOVER + 3 * heartbeat,
        "failover too slow: {took:?}"
    );
    fleet.wait_caught_up().await;
    common::stop(&token, vec![]).await;
    tokio::time::timeout(Duration::from_secs(30), w2)
        .await
        .unwrap()
        .unwrap();
    let (rows, _) = fleet.output().await;
    assert_eq!(rows.len(), 100);
    assert!(rows.values().all(|n| *n == 1));
}

#[tokio::test(start_paused = true)]
async fn graceful_shutdown_hands_leases_over_without_waiting_for_expiry() {
    let mut fleet = Fleet::new();
    let ids = fleet.write(80, 0).await;
    let t1 = CancellationToken::new();
    let t2 = CancellationToken::new();
    let w1 = spawn(&fleet, "w1", &t1, Duration::from_secs(3600));
    until_owners(&fleet, Duration::from_secs(30), all_owned_by("w1")).await;
    let w2 = spawn(&fleet, "w2", &t2, Duration::from_millis(200));
    until_owners(&fleet, Duration::from_secs(60), |o| {
        o.iter().any(|x| x.as_deref() == Some("w2"))
    })
    .await;
    // w1 buffers for an hour; its shutdown commits what it holds and releases.
    t1.cancel();
    let stopped = Instant::now();
    tokio::time::timeout(Duration::from_secs(30), w1)
        .await
        .unwrap()
        .unwrap();
    let took = until_owners(&fleet, Duration::from_secs(60), all_owned_by("w2")).await - stopped;
    assert!(took < FAILOVER, "handoff waited for expiry: {took:?}");
    fleet.wait_caught_up().await;
    t2.cancel();
    tokio::time::timeout(Duration::from_secs(30), w2)
        .await
        .unwrap()
        .unwrap();
    let (rows, _) = fleet.output().await;
    assert_eq!(rows.keys().cloned().collect::<HashSet<_>>(), ids);
    assert!(rows.values().all(|n| *n == 1));
}

#[tokio::test(start_paused = true)]
async fn the_flush_age_timer_commits_a_quiet_batch() {
    let mut fleet = Fleet::new();
    fleet.write(30, 0).await;
    let token = CancellationToken::new();
    let age = Duration::from_secs(60);
    let started = Instant::now();
    let w = spawn(&fleet, "w1", &token, age);
    tokio::time::sleep(age / 2).await;
    assert_eq!(
        fleet.output().await.0.len(),
        0,
        "committed before the flush age"
    );
    fleet.wait_caught_up().await;
    let took = started.elapsed();
    assert!(
        took >= age && took <= age + Duration::from_secs(5),
        "flushed after {took:?}"
    );
    assert_eq!(fleet.output().await.0.len(), 30);
    token.cancel();
    tokio::time::timeout(Duration::from_secs(30), w)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_worker_budget_commits_the_largest_buffer_early() {
    let mut fleet = Fleet::new();
    fleet.write(200, 0).await;
    let token = CancellationToken::new();
    let mut cfg = worker_config(
        "w1",
        fleet.stream.clone(),
        fleet.leases.clone(),
        fleet.output.clone(),
    );
    cfg.failover = FAILOVER;
    cfg.flush_age = Duration::from_secs(3600);
    cfg.flush_records = 1_000_000;
    cfg.buffer_records = 60;
    let t = token.clone();
    let w = tokio::spawn(async move { run(cfg, t).await.unwrap() });
    let started = Instant::now();
    // Without the budget nothing would commit for an hour (virtual). With it, every buffer
    // but what fits in the budget is committed as soon as the next shard's read overflows it.
    loop {
        let committed = fleet.output().await.0.len();
        if committed >= 200 - 60 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "only {committed} committed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let summary = common::stop(&token, vec![w]).await;
    assert!(summary[0].batches_committed >= 3, "{summary:?}");
    assert_eq!(fleet.output().await.0.len(), 200, "the rest at shutdown");
}
