//! `compactor live`: the live files of a table, resolved through the manifests — what a reader
//! that does not use Glue partition locations queries (e.g. DuckDB's `read_parquet([...])`).

use crate::core::manifest::Manifest;
use crate::error::CompactError;
use shared::object_store::{open_store, StoreUrl};

/// Live keys of `table`, as paths or URLs a query engine can open, sorted.
pub async fn live_files(
    output: &str,
    table: &str,
    date: Option<&str>,
    domain: Option<&str>,
) -> Result<Vec<String>, CompactError> {
    let store = open_store(output).await?;
    let base = match StoreUrl::parse(output)? {
        StoreUrl::Local(dir) => dir.to_string_lossy().trim_end_matches('/').to_string(),
        StoreUrl::S3 { bucket, prefix } if prefix.is_empty() => format!("s3://{bucket}"),
        StoreUrl::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
    };
    let mut out = Vec::new();
    for o in store.list("_manifests/").await? {
        if !o.key.ends_with("/current.json") {
            continue;
        }
        let Some(body) = store.get(&o.key).await? else {
            continue;
        };
        let m: Manifest =
            serde_json::from_slice(&body).map_err(|source| CompactError::Manifest {
                key: o.key.clone(),
                source,
            })?;
        if date.is_some_and(|d| d != m.event_date) || domain.is_some_and(|d| d != m.domain_name) {
            continue;
        }
        out.extend(
            m.outputs
                .iter()
                .filter(|f| f.table == table)
                .map(|f| format!("{base}/{}", f.key)),
        );
    }
    out.sort();
    Ok(out)
}
