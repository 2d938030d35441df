//! The output sink: a file or stdout behind a large `BufWriter`, framed as text lines
//! (CloudFront) or as a record file (envelopes).

use super::SynthError;
use shared::framing::{RecordFileWriter, RECORD_FILE_HEADER};
use std::fs::File;
use std::io::{self, BufWriter, Write};

enum Sink {
    Lines(BufWriter<Box<dyn Write>>),
    Records(RecordFileWriter<BufWriter<Box<dyn Write>>>),
}

/// Where records go.
pub struct Output {
    sink: Sink,
    path: String,
    bytes: u64,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("path", &self.path)
            .field("bytes", &self.bytes)
            .finish()
    }
}

impl Output {
    /// Opens `path` (`-` = stdout); `records` selects the record-file framing.
    pub fn open(path: &str, records: bool) -> Result<Output, SynthError> {
        let io_err = |source| SynthError::Io {
            path: path.to_string(),
            source,
        };
        let inner: Box<dyn Write> = if path == "-" {
            Box::new(io::stdout().lock())
        } else {
            Box::new(File::create(path).map_err(io_err)?)
        };
        let buffered = BufWriter::with_capacity(1 << 20, inner);
        let (sink, bytes) = if records {
            (
                Sink::Records(RecordFileWriter::new(buffered).map_err(io_err)?),
                RECORD_FILE_HEADER.len() as u64,
            )
        } else {
            (Sink::Lines(buffered), 0)
        };
        Ok(Output {
            sink,
            path: path.to_string(),
            bytes,
        })
    }

    /// Writes one record: a complete line (newline included) or one envelope.
    pub fn write(&mut self, record: &[u8]) -> Result<(), SynthError> {
        let res = match &mut self.sink {
            Sink::Lines(w) => {
                self.bytes += record.len() as u64;
                w.write_all(record)
            }
            Sink::Records(w) => {
                self.bytes += 4 + record.len() as u64;
                w.write_record(record)
            }
        };
        res.map_err(|source| SynthError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Flushes and returns the number of bytes written.
    pub fn finish(self) -> Result<u64, SynthError> {
        let res = match self.sink {
            Sink::Lines(mut w) => w.flush(),
            Sink::Records(w) => w.finish().and_then(|mut w| w.flush()),
        };
        res.map_err(|source| SynthError::Io {
            path: self.path,
            source,
        })?;
        Ok(self.bytes)
    }
}
