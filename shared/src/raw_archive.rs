//! The raw archive (docs/DESIGN.md §7): the stream records of a committed batch, kept as gzipped
//! JSON lines so data can be replayed after the stream's retention expired, Firehose-backup
//! style. Each line keeps the shard and sequence number, so a replay derives the same event ids.

use crate::stream::StreamRecord;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};

/// One archived stream record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawLine {
    /// Stream it was read from (as the enricher names it in derived event ids).
    #[serde(default)]
    pub stream: String,
    /// Shard it was read from.
    pub shard: String,
    /// Its sequence number there.
    pub sequence_number: String,
    /// Partition key as written.
    pub partition_key: String,
    /// When the stream accepted it, epoch ms.
    pub arrival_ms: i64,
    /// Payload, base64 (standard, padded).
    pub data_base64: String,
}

impl RawLine {
    /// Archives `record` of `stream`/`shard`.
    pub fn new(stream: &str, shard: &str, record: &StreamRecord) -> Self {
        RawLine {
            stream: stream.to_string(),
            shard: shard.to_string(),
            sequence_number: record.sequence_number.clone(),
            partition_key: record.partition_key.clone(),
            arrival_ms: record.arrival_ms,
            data_base64: base64::engine::general_purpose::STANDARD.encode(&record.data),
        }
    }

    /// Back to the stream record.
    pub fn record(&self) -> Result<StreamRecord, RawArchiveError> {
        let data = base64::engine::general_purpose::STANDARD
            .decode(&self.data_base64)
            .map_err(|e| RawArchiveError::Corrupt(format!("base64: {e}")))?;
        Ok(StreamRecord {
            sequence_number: self.sequence_number.clone(),
            partition_key: self.partition_key.clone(),
            data: data.into(),
            arrival_ms: self.arrival_ms,
        })
    }
}

/// Errors reading an archive object.
#[derive(Debug, thiserror::Error)]
pub enum RawArchiveError {
    /// Not gzip, or a line that is not a [`RawLine`].
    #[error("corrupt raw archive object: {0}")]
    Corrupt(String),
}

/// Accumulates lines uncompressed; compresses once at the end (one gzip member per object).
#[derive(Debug, Default)]
pub struct RawArchiveWriter {
    lines: Vec<u8>,
    count: u64,
}

impl RawArchiveWriter {
    /// Adds one record.
    pub fn push(&mut self, stream: &str, shard: &str, record: &StreamRecord) {
        if serde_json::to_writer(&mut self.lines, &RawLine::new(stream, shard, record)).is_ok() {
            self.lines.push(b'\n');
            self.count += 1;
        }
    }

    /// Bytes buffered before compression.
    pub fn uncompressed_len(&self) -> usize {
        self.lines.len()
    }

    /// Records added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The gzipped object; empties the writer.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        // Writing into a Vec cannot fail.
        let _ = gz.write_all(&self.lines);
        self.lines.clear();
        self.count = 0;
        gz.finish().unwrap_or_default()
    }
}

/// Reads every line of an archive object.
pub fn read_archive(gz: &[u8]) -> Result<Vec<RawLine>, RawArchiveError> {
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(gz));
    let mut out = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(|e| RawArchiveError::Corrupt(e.to_string()))?;
        if line.is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).map_err(|e| RawArchiveError::Corrupt(e.to_string()))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_binary_payloads() {
        let recs: Vec<StreamRecord> = (0..3u8)
            .map(|i| StreamRecord {
                sequence_number: format!("4959{i}"),
                partition_key: format!("pk{i}"),
                data: vec![0xff, i, b'\n', 0].into(),
                arrival_ms: 1_700_000_000_000 + i64::from(i),
            })
            .collect();
        let mut w = RawArchiveWriter::default();
        for r in &recs {
            w.push("clicks", "shardId-1", r);
        }
        assert_eq!(w.count(), 3);
        let gz = w.finish();
        assert_eq!(&gz[..2], &[0x1f, 0x8b], "gzip magic");
        let back: Vec<StreamRecord> = read_archive(&gz)
            .unwrap()
            .iter()
            .map(|l| l.record().unwrap())
            .collect();
        assert_eq!(back, recs);
        assert!(read_archive(b"not gzip").is_err());
    }
}
