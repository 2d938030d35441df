//! `events`: the unit's tracking events, partitioned by (sanitised) event name, in output order.

use super::{events_schema, opt_str, View, EVENTS_SOURCE_COLUMNS};
use crate::error::CompactError;
use crate::writer::{LocalOutput, RollingWriter};
use arrow_array::{RecordBatch, UInt32Array};
use parquet::file::properties::WriterProperties;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One writer per event name.
pub struct EventsTable {
    /// `events/domain_name=…/event_date=…` (no trailing slash).
    prefix: String,
    version: String,
    dir: PathBuf,
    props: WriterProperties,
    target_bytes: u64,
    writers: BTreeMap<String, RollingWriter>,
}

impl EventsTable {
    /// A table whose files go under `<prefix>/event_name=<n>/<version>/`.
    pub fn new(
        prefix: String,
        version: &str,
        dir: PathBuf,
        props: WriterProperties,
        target_bytes: u64,
    ) -> Self {
        EventsTable {
            prefix,
            version: version.to_string(),
            dir,
            props,
            target_bytes,
            writers: BTreeMap::new(),
        }
    }

    /// Adds a batch of events (all columns of the enriched schema) in output order.
    pub fn add(&mut self, batch: &RecordBatch) -> Result<(), CompactError> {
        let names = View::new(batch).str("event_name");
        let mut by_name: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for i in 0..batch.num_rows() {
            // A null name and an empty one share Hive's default partition.
            let n = opt_str(names, i).unwrap_or("");
            by_name.entry(n).or_default().push(i as u32);
        }
        let idx: Vec<usize> = EVENTS_SOURCE_COLUMNS
            .iter()
            .map(|c| crate::cols::index(c))
            .collect();
        let projected = RecordBatch::try_new(
            events_schema(),
            idx.iter().map(|&i| batch.column(i).clone()).collect(),
        )?;
        for (name, rows) in by_name {
            let part = if rows.len() == batch.num_rows() {
                projected.clone()
            } else {
                arrow_select::take::take_record_batch(&projected, &UInt32Array::from(rows))?
            };
            let w = match self.writers.get_mut(name) {
                Some(w) => w,
                None => {
                    let key = format!(
                        "{}/event_name={}/{}",
                        self.prefix,
                        shared::partition::escape_value(name),
                        self.version
                    );
                    let w = RollingWriter::new(
                        "events",
                        key,
                        &self.dir,
                        events_schema(),
                        self.props.clone(),
                        self.target_bytes,
                    );
                    self.writers.entry(name.to_string()).or_insert(w)
                }
            };
            w.write(&part)?;
        }
        Ok(())
    }

    /// Closes every file.
    pub fn finish(self) -> Result<Vec<LocalOutput>, CompactError> {
        let mut out = Vec::new();
        for w in self.writers.into_values() {
            out.extend(w.finish()?);
        }
        Ok(out)
    }
}
