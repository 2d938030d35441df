//! Dead-letter rows: inputs the pipeline could not turn into records, kept with the reason.

use base64::Engine;
use serde::{Deserialize, Serialize};

/// One input that failed enrichment. Written as one JSON line; nothing is ever dropped silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Why it failed (human-readable, stable prefix per cause).
    pub reason: String,
    /// Where it came from: a file path, or a stream and shard.
    pub source: String,
    /// Position in the source: line number, byte offset or sequence number.
    pub position: String,
    /// The raw input bytes, base64 (standard alphabet, padded).
    pub raw_base64: String,
    /// When the failure was recorded, epoch ms.
    pub failed_at_ms: i64,
}

impl DeadLetter {
    /// Builds a dead letter for `raw`.
    pub fn new(
        reason: impl Into<String>,
        source: &str,
        position: impl ToString,
        raw: &[u8],
        now_ms: i64,
    ) -> Self {
        DeadLetter {
            reason: reason.into(),
            source: source.to_string(),
            position: position.to_string(),
            raw_base64: base64::engine::general_purpose::STANDARD.encode(raw),
            failed_at_ms: now_ms,
        }
    }

    /// The original bytes.
    pub fn raw(&self) -> Result<Vec<u8>, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(&self.raw_base64)
    }

    /// Appends this dead letter as one JSON line.
    pub fn write_json_line(&self, out: &mut Vec<u8>) {
        if serde_json::to_writer(&mut *out, self).is_ok() {
            out.push(b'\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_raw_bytes() {
        let d = DeadLetter::new("bad ts", "f.log", 7, b"\xff\x00line", 1);
        let mut out = Vec::new();
        d.write_json_line(&mut out);
        let back: DeadLetter = serde_json::from_slice(&out).unwrap();
        assert_eq!(back.raw().unwrap(), b"\xff\x00line");
        assert_eq!(back, d);
    }
}
