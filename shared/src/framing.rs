//! A file of binary records (envelopes), for `loadgen synth`, `enrich-file` and raw archives.
//!
//! Layout: the 8-byte header `CSREC01\n`, then per record a little-endian `u32` length and the
//! record bytes. The header lets readers tell such a file from a text file of CloudFront lines.

use std::io::{self, Write};

/// File header.
pub const RECORD_FILE_HEADER: &[u8; 8] = b"CSREC01\n";
/// Largest record accepted (Kinesis' own limit is 1 MiB).
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// Writes a record file.
pub struct RecordFileWriter<W: Write> {
    inner: W,
}

impl<W: Write> RecordFileWriter<W> {
    /// Writes the header.
    pub fn new(mut inner: W) -> io::Result<Self> {
        inner.write_all(RECORD_FILE_HEADER)?;
        Ok(RecordFileWriter { inner })
    }

    /// Appends one record.
    pub fn write_record(&mut self, record: &[u8]) -> io::Result<()> {
        if record.len() > MAX_RECORD_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "record over 1 MiB",
            ));
        }
        self.inner.write_all(&(record.len() as u32).to_le_bytes())?;
        self.inner.write_all(record)
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.inner.flush()?;
        Ok(self.inner)
    }
}

/// True when `data` starts with the record-file header.
pub fn is_record_file(data: &[u8]) -> bool {
    data.starts_with(RECORD_FILE_HEADER)
}

/// A record, or where the file stops making sense.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// One record at a byte offset.
    Record {
        /// Offset of the length prefix in the file.
        offset: usize,
        /// The record bytes.
        bytes: &'a [u8],
    },
    /// The rest of the file (from `offset`) is not a valid frame: truncated or corrupt.
    Corrupt {
        /// Where the bad frame starts.
        offset: usize,
        /// The unreadable remainder.
        rest: &'a [u8],
    },
}

/// Iterates the records of a record file (header included in `data`). A damaged tail yields one
/// `Corrupt` frame so the caller can dead-letter it instead of dropping it.
pub fn frames(data: &[u8]) -> impl Iterator<Item = Frame<'_>> {
    let mut pos = if is_record_file(data) {
        RECORD_FILE_HEADER.len()
    } else {
        data.len()
    };
    std::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        let start = pos;
        let len = data
            .get(pos..pos + 4)
            .and_then(|b| b.try_into().ok())
            .map(|b: [u8; 4]| u32::from_le_bytes(b) as usize);
        match len {
            Some(len) if len <= MAX_RECORD_BYTES && pos + 4 + len <= data.len() => {
                pos += 4 + len;
                Some(Frame::Record {
                    offset: start,
                    bytes: &data[start + 4..start + 4 + len],
                })
            }
            _ => {
                pos = data.len();
                Some(Frame::Corrupt {
                    offset: start,
                    rest: &data[start..],
                })
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let mut w = RecordFileWriter::new(Vec::new()).unwrap();
        w.write_record(b"one").unwrap();
        w.write_record(b"").unwrap();
        w.write_record(b"three").unwrap();
        let data = w.finish().unwrap();
        let got: Vec<_> = frames(&data).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[2],
            Frame::Record {
                offset: 8 + 7 + 4,
                bytes: b"three"
            }
        );
        let cut = &data[..data.len() - 2];
        let got: Vec<_> = frames(cut).collect();
        assert!(matches!(got[2], Frame::Corrupt { offset: 19, .. }));
        assert_eq!(frames(b"not a record file").count(), 0);
    }
}
