//! The same run on S3 (moto, started by scripts/test.sh) as on a local directory: inputs listed
//! and staged from a bucket, outputs and manifests written through the S3 adapter, identical
//! tables.

#![allow(clippy::unwrap_used)]

mod common;
use bytes::Bytes;
use common::*;
use compactor::core::manifest::Manifest;
use shared::object_store::open_store;
use shared::parquet_io::decode_parquet;

#[test]
#[ignore = "needs moto: scripts/test.sh runs it"]
fn s3_run_equals_local_run() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_S3").is_ok(),
        "needs moto: run scripts/test.sh (it starts the emulators)"
    );
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path();
    synthetic_day(lake, 30, 5);
    run(config(lake, &[DAY]));
    let local_stats = table(lake, DAY, "stats").unwrap();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bucket = format!("compactor-{}", uuid::Uuid::now_v7().simple());
    rt.block_on(async {
        let s3 = shared::object_store::S3Store::client_from_env().await;
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let input = open_store(&format!("s3://{bucket}/incoming"))
            .await
            .unwrap();
        let local = open_store(&lake.join("incoming").to_string_lossy())
            .await
            .unwrap();
        for o in local.list("").await.unwrap() {
            let body = local.get(&o.key).await.unwrap().unwrap();
            input.put(&o.key, body).await.unwrap();
        }
    });

    let mut cfg = config(lake, &[DAY]);
    cfg.input = format!("s3://{bucket}/incoming");
    cfg.output = format!("s3://{bucket}/curated");
    let s = run(cfg.clone());
    assert_eq!(
        (s.computed, s.rows_out),
        (1, manifest(lake, DAY).unwrap().counts.rows_out)
    );
    // Same listing (keys and sizes) → up to date on S3 too.
    assert_eq!(run(cfg).up_to_date, 1);

    let stats = rt.block_on(async {
        let out = open_store(&format!("s3://{bucket}/curated")).await.unwrap();
        let key = format!("_manifests/domain_name=shop.example/event_date={DAY}/current.json");
        let m: Manifest = serde_json::from_slice(&out.get(&key).await.unwrap().unwrap()).unwrap();
        let mut batches = Vec::new();
        for f in m.outputs.iter().filter(|f| f.table == "stats") {
            let body: Bytes = out.get(&f.key).await.unwrap().unwrap();
            batches.extend(decode_parquet(body).unwrap());
        }
        arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap()
    });
    assert_eq!(stats, local_stats);
}
