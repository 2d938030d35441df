//! Reading input files: CloudFront log lines (text) or record files of envelopes, detected by
//! the record-file header. Streams with one reused buffer: the engine copies what it keeps into
//! Arrow builders before the next record is read.

use shared::framing::{MAX_RECORD_BYTES, RECORD_FILE_HEADER};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// What kind of file it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// One CloudFront real-time log line per line.
    Lines,
    /// A record file of envelopes.
    Records,
}

/// One input record (or a corrupt tail) with its position.
pub enum Item<'b> {
    /// Record bytes and its 1-based line number or byte offset.
    Record(&'b [u8], u64),
    /// Unreadable rest of a record file at this offset.
    Corrupt(Vec<u8>, u64),
}

/// A streaming input reader.
pub struct InputReader {
    reader: BufReader<Box<dyn Read + Send>>,
    kind: InputKind,
    buf: Vec<u8>,
    pos: u64,
    done: bool,
}

impl InputReader {
    /// Opens `path` (`-` = stdin) and detects its kind.
    pub fn open(path: &Path) -> std::io::Result<InputReader> {
        let inner: Box<dyn Read + Send> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(std::fs::File::open(path)?)
        };
        let mut reader = BufReader::with_capacity(1 << 20, inner);
        let head = reader.fill_buf()?;
        let kind = if head.starts_with(RECORD_FILE_HEADER) {
            reader.consume(RECORD_FILE_HEADER.len());
            InputKind::Records
        } else {
            InputKind::Lines
        };
        let pos = if kind == InputKind::Records {
            RECORD_FILE_HEADER.len() as u64
        } else {
            0
        };
        Ok(InputReader {
            reader,
            kind,
            buf: Vec::with_capacity(4096),
            pos,
            done: false,
        })
    }

    /// Detected kind.
    pub fn kind(&self) -> InputKind {
        self.kind
    }

    /// Next item; `None` at the end. Empty lines are skipped (not data).
    pub fn next_item(&mut self) -> std::io::Result<Option<Item<'_>>> {
        if self.done {
            return Ok(None);
        }
        match self.kind {
            InputKind::Lines => loop {
                self.buf.clear();
                if self.reader.read_until(b'\n', &mut self.buf)? == 0 {
                    self.done = true;
                    return Ok(None);
                }
                self.pos += 1;
                let line = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if !line.is_empty() {
                    let len = line.len();
                    return Ok(Some(Item::Record(&self.buf[..len], self.pos)));
                }
            },
            InputKind::Records => {
                let offset = self.pos;
                let mut len = [0u8; 4];
                let got = read_full(&mut self.reader, &mut len)?;
                if got == 0 {
                    self.done = true;
                    return Ok(None);
                }
                let n = u32::from_le_bytes(len) as usize;
                if got < 4 || n > MAX_RECORD_BYTES {
                    return self.corrupt(len[..got].to_vec(), offset);
                }
                self.buf.resize(n, 0);
                let got_body = read_full(&mut self.reader, &mut self.buf)?;
                if got_body < n {
                    let mut rest = len.to_vec();
                    rest.extend_from_slice(&self.buf[..got_body]);
                    return self.corrupt(rest, offset);
                }
                self.pos += 4 + n as u64;
                Ok(Some(Item::Record(&self.buf, offset)))
            }
        }
    }

    fn corrupt(&mut self, mut rest: Vec<u8>, offset: u64) -> std::io::Result<Option<Item<'_>>> {
        self.reader.read_to_end(&mut rest)?;
        self.done = true;
        Ok(Some(Item::Corrupt(rest, offset)))
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Reads a whole input file into memory as a list of records (for the benchmark).
pub fn read_all(path: &Path) -> std::io::Result<(InputKind, Vec<Vec<u8>>)> {
    let mut reader = InputReader::open(path)?;
    let kind = reader.kind();
    let mut out = Vec::new();
    while let Some(item) = reader.next_item()? {
        if let Item::Record(bytes, _) = item {
            out.push(bytes.to_vec());
        }
    }
    Ok((kind, out))
}
