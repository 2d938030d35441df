//! The in-process fleet the integration tests share: a 4-shard embedded stream, an embedded
//! lease store and an output directory in a temp dir, and workers with small flush settings.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use arrow_array::{Array, StringArray};
use enricher::core::ids::SecretDailySalt;
use enricher::core::{Engine, EngineConfig};
use enricher::fleet::chain::committed_manifests;
use enricher::fleet::manifest::ObjectKind;
use enricher::fleet::metrics::Health;
use enricher::fleet::shard::Prefixes;
use enricher::fleet::worker::{run, RunSummary, WorkerConfig};
use shared::envelope::{new_event_id, Envelope, HitKind};
use shared::lease::embedded::EmbeddedLeaseStore;
use shared::lease::{Checkpoint, LeaseStore};
use shared::object_store::{LocalStore, ObjectStore};
use shared::parquet_io::{decode_parquet, ParquetOptions};
use shared::raw_archive::read_archive;
use shared::stream::embedded::EmbeddedStream;
use shared::stream::{compare_sequence, PutEntry, PutResult, StreamReader, StreamWriter};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const DEADLINE: Duration = Duration::from_secs(60);
pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
pub const QUERY: &str =
    "t=pv&ts=1700000000123&u=https%3A%2F%2Fshop.example.com%2Fsale&hn=shop.example.com&pa=%2Fsale";

pub struct Fleet {
    pub dir: tempfile::TempDir,
    pub stream: Arc<EmbeddedStream>,
    pub leases: Arc<EmbeddedLeaseStore>,
    pub output: Arc<LocalStore>,
    /// Highest sequence number written per shard.
    pub last_seq: BTreeMap<String, String>,
}

impl Fleet {
    pub fn new() -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let stream = Arc::new(EmbeddedStream::open(&dir.path().join("stream"), 4).unwrap());
        let leases = Arc::new(EmbeddedLeaseStore::open(&dir.path().join("leases")).unwrap());
        let output = Arc::new(LocalStore::new(dir.path().join("lake")));
        Fleet {
            dir,
            stream,
            leases,
            output,
            last_seq: BTreeMap::new(),
        }
    }

    /// Writes `good` valid pixel envelopes and `bad` corrupt ones; returns the good ids.
    pub async fn write(&mut self, good: usize, bad: usize) -> HashSet<String> {
        let (entries, ids) = entries(good, bad);
        for chunk in entries.chunks(500) {
            for r in self.stream.put_batch(chunk).await.unwrap() {
                let PutResult::Written {
                    shard_id,
                    sequence_number,
                } = r
                else {
                    panic!("not written: {r:?}");
                };
                let e = self.last_seq.entry(shard_id).or_default();
                if compare_sequence(&sequence_number, e).is_gt() {
                    *e = sequence_number;
                }
            }
        }
        ids
    }

    pub fn worker(&self, id: &str, shutdown: &CancellationToken) -> JoinHandle<RunSummary> {
        let cfg = worker_config(
            id,
            self.stream.clone(),
            self.leases.clone(),
            self.output.clone(),
        );
        let token = shutdown.clone();
        tokio::spawn(async move { run(cfg, token).await.unwrap() })
    }

    /// Waits until every shard's checkpoint reached the last sequence number written to it.
    pub async fn wait_caught_up(&self) {
        let started = std::time::Instant::now();
        loop {
            let leases = self.leases.list().await.unwrap();
            let done = self.last_seq.iter().all(|(shard, last)| {
                leases.iter().any(|l| {
                    &l.lease_key == shard
                        && match &l.checkpoint {
                            Checkpoint::Sequence {
                                sequence_number, ..
                            } => compare_sequence(sequence_number, last).is_ge(),
                            Checkpoint::ShardEnd => true,
                            _ => false,
                        }
                })
            });
            if done {
                return;
            }
            assert!(started.elapsed() < DEADLINE, "not caught up: {leases:#?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// See [`committed_rows`].
    pub async fn output(&self) -> (HashMap<String, usize>, usize) {
        committed_rows(&*self.output, &*self.leases).await
    }

    /// Parquet objects under the data prefix that no committed manifest names.
    pub async fn orphans(&self) -> usize {
        let chains = committed_manifests(&*self.output, &*self.leases, "incoming")
            .await
            .unwrap();
        let named: HashSet<String> = chains
            .values()
            .flatten()
            .flat_map(|m| m.objects.iter().map(|o| o.key.clone()))
            .collect();
        self.output
            .list("incoming/")
            .await
            .unwrap()
            .into_iter()
            .filter(|o| o.key.ends_with(".parquet") && !named.contains(&o.key))
            .count()
    }
}

pub async fn stop(
    token: &CancellationToken,
    handles: Vec<JoinHandle<RunSummary>>,
) -> Vec<RunSummary> {
    token.cancel();
    let mut out = Vec::new();
    for h in handles {
        out.push(tokio::time::timeout(DEADLINE, h).await.unwrap().unwrap());
    }
    out
}

/// A worker with the tests' small flush settings and the raw archive on.
pub fn worker_config(
    id: &str,
    stream: Arc<dyn StreamReader>,
    leases: Arc<dyn LeaseStore>,
    output: Arc<dyn ObjectStore>,
) -> WorkerConfig {
    let salts = SecretDailySalt::new(b"test-secret-0123456789").unwrap();
    WorkerConfig {
        worker_id: id.to_string(),
        source: "test-stream".into(),
        stream,
        leases,
        output,
        engine: Engine::new(Box::new(salts), EngineConfig::default()).unwrap(),
        failover: Duration::from_millis(600),
        max_leases: usize::MAX,
        flush_records: 40,
        flush_bytes: 64 << 20,
        buffer_records: 1_000_000,
        flush_age: Duration::from_millis(300),
        initial_position: Checkpoint::TrimHorizon,
        prefixes: Prefixes {
            data: "incoming".into(),
            errors: "errors".into(),
            raw: Some("raw".into()),
        },
        parquet: ParquetOptions::default(),
        drain_deadline: Duration::from_secs(10),
        health: Arc::new(Health::default()),
        stop_at_ms: None,
    }
}

/// Event id → rows holding it in the committed view (the manifest chains from the lease
/// table, docs/DESIGN.md §6), and the dead-letter count. Also checks that the raw archive
/// holds exactly the records each committed batch read.
pub async fn committed_rows(
    output: &dyn ObjectStore,
    leases: &dyn LeaseStore,
) -> (HashMap<String, usize>, usize) {
    let chains = committed_manifests(output, leases, "incoming")
        .await
        .unwrap();
    let mut rows = HashMap::new();
    let mut dead = 0;
    for m in chains.values().flatten() {
        let mut raw = 0;
        for o in &m.objects {
            let bytes = output.get(&o.key).await.unwrap().unwrap();
            assert_eq!(bytes.len() as u64, o.size, "{}", o.key);
            match o.kind {
                ObjectKind::Data => {
                    for batch in decode_parquet(bytes).unwrap() {
                        let col = batch.column_by_name("event_id").unwrap();
                        let ids = col.as_any().downcast_ref::<StringArray>().unwrap();
                        for i in 0..ids.len() {
                            *rows.entry(ids.value(i).to_string()).or_insert(0) += 1;
                        }
                    }
                }
                ObjectKind::Errors => dead += bytes.iter().filter(|b| **b == b'\n').count(),
                ObjectKind::Raw => raw += read_archive(&bytes).unwrap().len() as u64,
            }
        }
        assert_eq!(raw, m.counts.read, "raw archive of {}", m.first);
    }
    (rows, dead)
}

/// `good` valid pixel envelopes and `bad` corrupt ones, and the good ids.
pub fn entries(good: usize, bad: usize) -> (Vec<PutEntry>, HashSet<String>) {
    let mut ids = HashSet::new();
    let mut entries = Vec::new();
    for i in 0..good + bad {
        let data = if i < good {
            let env = Envelope {
                event_id: new_event_id(),
                arrival_ms: 1_700_000_000_500,
                client_ip: "203.0.113.9".parse().unwrap(),
                user_agent: CHROME,
                referer: Some("https://shop.example.com/"),
                kind: HitKind::Pixel,
                path: "/hello.gif",
                query: QUERY,
                body: b"",
                request_bytes: 512,
                collector_id: "c1",
                pop: "FRA",
                viewer: None,
            };
            ids.insert(env.event_id_string());
            env.encode()
        } else {
            vec![0xFE, 1, 0xFF, 0xFF, 0xFF] // an envelope whose body does not decode
        };
        entries.push(PutEntry {
            partition_key: format!("key-{i}-{}", ids.len()),
            data: data.into(),
        });
    }
    (entries, ids)
}
