//! Parquet output files written to scratch space, rolled over at a target size. The publish
//! step uploads them under their final keys.

use crate::error::CompactError;
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A finished output file in scratch space.
#[derive(Debug, Clone)]
pub struct LocalOutput {
    /// Table name.
    pub table: String,
    /// Final key relative to the output URL.
    pub key: String,
    /// Scratch path.
    pub path: PathBuf,
    /// Rows.
    pub rows: u64,
    /// Bytes.
    pub bytes: u64,
}

static SCRATCH_SEQ: AtomicU64 = AtomicU64::new(0);

/// Writes batches of one schema into `part-NNNNN.parquet` files under a key prefix.
pub struct RollingWriter {
    table: String,
    key_prefix: String,
    dir: PathBuf,
    schema: SchemaRef,
    props: WriterProperties,
    target_bytes: u64,
    current: Option<(ArrowWriter<BufWriter<File>>, PathBuf, u64)>,
    done: Vec<LocalOutput>,
}

impl RollingWriter {
    /// A writer for `table` whose files get keys `<key_prefix>/part-NNNNN.parquet`.
    pub fn new(
        table: &str,
        key_prefix: String,
        dir: &Path,
        schema: SchemaRef,
        props: WriterProperties,
        target_bytes: u64,
    ) -> Self {
        RollingWriter {
            table: table.to_string(),
            key_prefix,
            dir: dir.to_path_buf(),
            schema,
            props,
            target_bytes,
            current: None,
            done: Vec::new(),
        }
    }

    /// Appends a batch (rows go to the current file; a new file starts once it is full).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), CompactError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if self.current.is_none() {
            let seq = SCRATCH_SEQ.fetch_add(1, Ordering::Relaxed);
            let path = self.dir.join(format!("out-{seq:06}.parquet"));
            let f = File::create(&path).map_err(CompactError::scratch(&path))?;
            let w = ArrowWriter::try_new(
                BufWriter::with_capacity(1 << 20, f),
                self.schema.clone(),
                Some(self.props.clone()),
            )
            .map_err(CompactError::parquet(&self.table))?;
            self.current = Some((w, path, 0));
        }
        if let Some((w, _, rows)) = self.current.as_mut() {
            w.write(batch).map_err(CompactError::parquet(&self.table))?;
            *rows += batch.num_rows() as u64;
            if (w.bytes_written() + w.in_progress_size()) as u64 >= self.target_bytes {
                self.close_current()?;
            }
        }
        Ok(())
    }

    fn close_current(&mut self) -> Result<(), CompactError> {
        let Some((w, path, rows)) = self.current.take() else {
            return Ok(());
        };
        w.close().map_err(CompactError::parquet(&self.table))?;
        let bytes = std::fs::metadata(&path)
            .map_err(CompactError::scratch(&path))?
            .len();
        let key = format!(
            "{}/part-{:05}.parquet",
            self.key_prefix.trim_end_matches('/'),
            self.done.len()
        );
        self.done.push(LocalOutput {
            table: self.table.clone(),
            key,
            path,
            rows,
            bytes,
        });
        Ok(())
    }

    /// Closes the last file; returns all files (none when nothing was written).
    pub fn finish(mut self) -> Result<Vec<LocalOutput>, CompactError> {
        self.close_current()?;
        Ok(self.done)
    }
}
