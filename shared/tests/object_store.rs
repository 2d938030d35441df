//! The object-store conformance suite: the local directory and S3 (against single-threaded
//! moto, which scripts/test.sh starts) must behave the same for every operation the enricher
//! and the compactor rely on, including the conditional create that commit manifests need.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use shared::object_store::{open_store, ObjectStore, PutOutcome, StoreError};

async fn keys(store: &dyn ObjectStore, prefix: &str) -> Vec<String> {
    store
        .list(prefix)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.key)
        .collect()
}

async fn conformance(store: &dyn ObjectStore) {
    let b = |s: &'static str| Bytes::from_static(s.as_bytes());
    store.put("t/a=1/one.parquet", b("1")).await.unwrap();
    store.put("t/a=1/one.parquet", b("11")).await.unwrap();
    store.put("t/a=2/two.parquet", b("2")).await.unwrap();
    store.put("u/other", b("x")).await.unwrap();
    assert_eq!(store.get("t/a=1/one.parquet").await.unwrap(), Some(b("11")));
    assert_eq!(store.get("t/missing").await.unwrap(), None);
    assert_eq!(
        keys(store, "t/").await,
        ["t/a=1/one.parquet", "t/a=2/two.parquet"]
    );
    assert_eq!(keys(store, "t/a=1").await, ["t/a=1/one.parquet"]);
    let sizes: Vec<u64> = store
        .list("t/")
        .await
        .unwrap()
        .iter()
        .map(|m| m.size)
        .collect();
    assert_eq!(sizes, [2, 1]);
    assert!(keys(store, "nothing/").await.is_empty());

    // Conditional create: first wins, the second changes nothing.
    assert_eq!(
        store
            .put_if_absent("_commits/s/1.json", b("first"))
            .await
            .unwrap(),
        PutOutcome::Created
    );
    assert_eq!(
        store
            .put_if_absent("_commits/s/1.json", b("second"))
            .await
            .unwrap(),
        PutOutcome::AlreadyExists
    );
    assert_eq!(
        store.get("_commits/s/1.json").await.unwrap(),
        Some(b("first"))
    );

    // Deleting twice is fine.
    store.delete("t/a=2/two.parquet").await.unwrap();
    store.delete("t/a=2/two.parquet").await.unwrap();
    assert_eq!(keys(store, "t/").await, ["t/a=1/one.parquet"]);

    // A body past the multipart threshold round-trips byte for byte.
    let big: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    store
        .put("big/blob", Bytes::from(big.clone()))
        .await
        .unwrap();
    let back = store.get("big/blob").await.unwrap().unwrap();
    assert_eq!(back.len(), big.len());
    assert!(back == big, "multipart body differs");
    assert_eq!(store.list("big/").await.unwrap()[0].size, big.len() as u64);

    // Keys cannot escape the prefix.
    assert!(matches!(
        store.put("../x", Bytes::new()).await,
        Err(StoreError::InvalidKey(_))
    ));
}

#[tokio::test]
async fn local_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    conformance(&*open_store(&url).await.unwrap()).await;
}

#[tokio::test]
#[ignore = "needs moto: scripts/test.sh runs it"]
async fn s3_store_conforms() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_S3").is_ok(),
        "needs moto: run scripts/test.sh (it starts the emulators)"
    );
    let bucket = format!("objects-{}", uuid::Uuid::now_v7().simple());
    let s3 = shared::object_store::S3Store::client_from_env().await;
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let store = open_store(&format!("s3://{bucket}/lake/v1")).await.unwrap();
    conformance(&*store).await;
    // Everything landed under the prefix, nothing outside it.
    let all = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert!(all
        .contents()
        .iter()
        .all(|o| o.key().unwrap().starts_with("lake/v1/")));
    let other = open_store(&format!("s3://{bucket}/elsewhere"))
        .await
        .unwrap();
    assert!(
        keys(&*other, "").await.is_empty(),
        "prefixes isolate stores"
    );
}
