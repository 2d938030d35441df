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

/// `ALTER TABLE … ADD IF NOT EXISTS PARTITION … LOCATION …` and `… SET LOCATION …` for every
/// live directory of `table` (Athena reads a partition from its location; the location is the
/// version directory, so moving it is Athena's equivalent of the manifest switch).
pub fn athena_statements(table: &str, files: &[String]) -> Vec<String> {
    let mut dirs: Vec<&str> = files
        .iter()
        .filter_map(|f| f.rsplit_once('/').map(|(d, _)| d))
        .collect();
    dirs.dedup();
    let mut out = Vec::new();
    for dir in dirs {
        let spec: Vec<String> = dir
            .split('/')
            .filter_map(|seg| seg.split_once('='))
            .filter(|(k, _)| {
                matches!(
                    *k,
                    "domain_name" | "event_type" | "event_date" | "event_name"
                )
            })
            .map(|(k, v)| {
                let v = shared::partition::unescape_value(v).unwrap_or_else(|| v.to_string());
                format!("{k} = '{}'", v.replace('\'', "''"))
            })
            .collect();
        let spec = spec.join(", ");
        let loc = dir.replace('\'', "''");
        out.push(format!(
            "ALTER TABLE {table} ADD IF NOT EXISTS PARTITION ({spec}) LOCATION '{loc}/';"
        ));
        out.push(format!(
            "ALTER TABLE {table} PARTITION ({spec}) SET LOCATION '{loc}/';"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn athena_points_partitions_at_the_version_directory() {
        let files = vec![
            "s3://b/events/domain_name=a.com/event_date=2026-11-20/event_name=a%2Fb/v1/part-00000.parquet".to_string(),
            "s3://b/events/domain_name=a.com/event_date=2026-11-20/event_name=a%2Fb/v1/part-00001.parquet".to_string(),
        ];
        assert_eq!(
            super::athena_statements("events", &files),
            vec![
                "ALTER TABLE events ADD IF NOT EXISTS PARTITION (domain_name = 'a.com', event_date = '2026-11-20', event_name = 'a/b') LOCATION 's3://b/events/domain_name=a.com/event_date=2026-11-20/event_name=a%2Fb/v1/';",
                "ALTER TABLE events PARTITION (domain_name = 'a.com', event_date = '2026-11-20', event_name = 'a/b') SET LOCATION 's3://b/events/domain_name=a.com/event_date=2026-11-20/event_name=a%2Fb/v1/';",
            ]
        );
    }
}
