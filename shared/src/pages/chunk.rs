//! The finished pages of one column chunk, framed by parquet-rs's page writer, and the chunk's
//! metadata.

use super::stats::Stats;
use bytes::Bytes;
use parquet::basic::{Compression, Encoding};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::ParquetError;
use parquet::file::metadata::ColumnChunkMetaData;
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;
use std::io::{Read, Write};

/// The one zstd context every column of every file shares: parquet-rs creates a context per
/// column chunk, whose set-up (`cpuid` probing, trapped in a VM) cost ~20 µs a pair. It also
/// lends the page-body and compressed-output buffers, which were allocated for every page:
/// in a fresh process those allocations landed on new heap memory, and its first-touch page
/// faults were ~16 % of the first enrich + encode pass (perf, 2026-11-25; the pass's faults
/// fell by ~10 %, later passes did not measurably change).
pub struct Zstd {
    level: i32,
    ctx: zstd::bulk::Compressor<'static>,
    /// A page body being built (see [`Zstd::take_body`]).
    body: Vec<u8>,
    /// Compressed output of the page being framed.
    out: Vec<u8>,
}

impl Zstd {
    /// A context compressing at `level`.
    pub fn new(level: i32) -> Result<Self, ParquetError> {
        let ctx = zstd::bulk::Compressor::new(level)
            .map_err(|e| ParquetError::General(format!("zstd: {e}")))?;
        Ok(Zstd {
            level,
            ctx,
            body: Vec::new(),
            out: Vec::new(),
        })
    }

    /// An empty buffer for a page body, to be handed to [`Chunk::write`] (which gives it back).
    pub fn take_body(&mut self) -> Vec<u8> {
        let mut body = std::mem::take(&mut self.body);
        body.clear();
        body
    }

    /// Keeps the larger of `body` and the body buffer held (a dictionary page's buffer also
    /// passes through here).
    fn give_body(&mut self, body: Vec<u8>) {
        if body.capacity() > self.body.capacity() {
            self.body = body;
        }
    }

    /// Compresses `data` into the output buffer (with [`super::hexzstd`] or
    /// [`super::uuidzstd`] when `shape` says which and the page is of that shape) and returns
    /// it; [`Chunk::frame_compressed`] puts it back.
    fn compress(&mut self, data: &[u8], shape: Shape) -> Result<Vec<u8>, ParquetError> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let written = match shape {
            Shape::Any => false,
            Shape::Hex => super::hexzstd::encode(data, &mut out),
            Shape::Uuid => super::uuidzstd::encode(data, &mut out),
        };
        if written {
            return Ok(out);
        }
        out.reserve(zstd::zstd_safe::compress_bound(data.len()));
        self.ctx
            .compress_to_buffer(data, &mut out)
            .map_err(|e| ParquetError::General(format!("zstd level {}: {e}", self.level)))?;
        Ok(out)
    }
}

/// Values a page may hold whose zstd frame is written without libzstd.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Anything: libzstd compresses.
    Any,
    /// 64-digit lowercase hex, distinct ([`super::hexzstd`]).
    Hex,
    /// UUID text, random when version 8 ([`super::uuidzstd`]).
    Uuid,
}

/// Takes back a buffer lent as a page's `Bytes` once the page is framed: the clone kept here is
/// then the only owner, so the allocation comes back without a copy.
fn reclaim(kept: Bytes) -> Vec<u8> {
    Vec::from(kept)
}

/// What a page is, before its body is known.
pub enum PageKind {
    /// A v1 data page of `values` level entries.
    Data {
        /// Level entries (rows for a flat required column).
        values: u32,
        /// Encoding of the values.
        encoding: Encoding,
    },
    /// The dictionary page of `values` entries (PLAIN).
    Dictionary {
        /// Distinct values.
        values: u32,
    },
}

/// A chunk's dictionary, for [`Chunk::finish`].
pub enum DictPage {
    /// `values` entries, PLAIN-encoded.
    Plain(u32, Vec<u8>),
    /// 32-byte digests standing for their lowercase hex (see [`Chunk::write_digests`]).
    Digests(Vec<u8>),
}

/// Pages written so far for one column chunk.
pub struct Chunk {
    descr: ColumnDescPtr,
    compression: Compression,
    /// Framed pages, each in its own buffer: one growing buffer was copied at every doubling.
    pages: Vec<Vec<u8>>,
    /// What data pages hold: [`Shape::Hex`] for distinct 64-digit hex values, whose frames
    /// [`super::hexzstd`] writes (dictionary pages, distinct by definition, are always
    /// offered to it).
    pub shape: Shape,
    len: usize,
    uncompressed: i64,
    entries: i64,
    encodings: Vec<Encoding>,
}

impl Chunk {
    /// An empty chunk of `descr`, compressed with `compression`.
    pub fn new(descr: ColumnDescPtr, compression: Compression) -> Result<Self, ParquetError> {
        if !matches!(
            compression,
            Compression::UNCOMPRESSED | Compression::ZSTD(_)
        ) {
            return Err(ParquetError::General(format!(
                "direct encoder: no support for {compression} ({})",
                descr.path()
            )));
        }
        Ok(Chunk {
            descr,
            compression,
            pages: Vec::new(),
            shape: Shape::Any,
            len: 0,
            uncompressed: 0,
            entries: 0,
            encodings: Vec::new(),
        })
    }

    /// Bytes of the framed pages so far.
    pub fn encoded_len(&self) -> usize {
        self.len
    }

    /// Notes an encoding used in the chunk (for the metadata's list).
    pub fn note(&mut self, e: Encoding) {
        if !self.encodings.contains(&e) {
            self.encodings.push(e);
        }
    }

    /// Compresses `body` and appends it, framed as `kind`. The body's buffer goes back to `z`.
    pub fn write(
        &mut self,
        kind: PageKind,
        body: Vec<u8>,
        z: &mut Zstd,
    ) -> Result<(), ParquetError> {
        let raw = body.len();
        if !matches!(self.compression, Compression::ZSTD(_)) {
            let buf = Bytes::from(body);
            let kept = buf.clone();
            self.frame(kind, buf, raw)?;
            z.give_body(reclaim(kept));
            return Ok(());
        }
        let shape = match kind {
            PageKind::Dictionary { .. } => Shape::Hex,
            PageKind::Data { .. } => self.shape,
        };
        let out = z.compress(&body, shape)?;
        z.give_body(body);
        self.frame_compressed(kind, out, raw, z)
    }

    /// Appends a PLAIN page (a dictionary page when `dictionary`) whose values are the
    /// lowercase hex of `digests` (32 bytes each), its zstd frame written by
    /// [`super::hexzstd::encode_digests`].
    pub fn write_digests(
        &mut self,
        dictionary: bool,
        digests: &[u8],
        z: &mut Zstd,
    ) -> Result<(), ParquetError> {
        let mut out = std::mem::take(&mut z.out);
        out.clear();
        let raw = super::hexzstd::encode_digests(digests, &mut out);
        let values = (digests.len() / 32) as u32;
        let kind = if dictionary {
            PageKind::Dictionary { values }
        } else {
            PageKind::Data {
                values,
                encoding: Encoding::PLAIN,
            }
        };
        self.frame_compressed(kind, out, raw, z)
    }

    /// Frames compressed page bytes lent by `z` (given back after).
    fn frame_compressed(
        &mut self,
        kind: PageKind,
        out: Vec<u8>,
        raw: usize,
        z: &mut Zstd,
    ) -> Result<(), ParquetError> {
        let buf = Bytes::from(out);
        let kept = buf.clone();
        self.frame(kind, buf, raw)?;
        z.out = reclaim(kept);
        Ok(())
    }

    /// Appends page bytes `buf` (compressed as the chunk is; `raw` bytes before), framed as
    /// `kind`.
    fn frame(&mut self, kind: PageKind, buf: Bytes, raw: usize) -> Result<(), ParquetError> {
        let page = match kind {
            PageKind::Data { values, encoding } => {
                self.entries += i64::from(values);
                self.note(Encoding::RLE);
                self.note(encoding);
                Page::DataPage {
                    buf,
                    num_values: values,
                    encoding,
                    def_level_encoding: Encoding::RLE,
                    rep_level_encoding: Encoding::RLE,
                    statistics: None,
                }
            }
            PageKind::Dictionary { values } => {
                self.note(Encoding::PLAIN);
                Page::DictionaryPage {
                    buf,
                    num_values: values,
                    encoding: Encoding::PLAIN,
                    is_sorted: false,
                }
            }
        };
        let mut framed = Vec::with_capacity(page.buffer().len() + 64);
        let mut sink = TrackedWrite::new(&mut framed);
        let spec =
            SerializedPageWriter::new(&mut sink).write_page(CompressedPage::new(page, raw))?;
        sink.flush()?;
        drop(sink);
        self.uncompressed += spec.uncompressed_size as i64;
        self.len += framed.len();
        self.pages.push(framed);
        Ok(())
    }

    /// Whether pages are zstd-compressed.
    pub fn zstd(&self) -> bool {
        matches!(self.compression, Compression::ZSTD(_))
    }

    /// The chunk's bytes (dictionary page first, when `dictionary` holds one) and metadata,
    /// offsets relative to the chunk's start; `self` is left empty for the next chunk.
    pub fn finish(
        &mut self,
        dictionary: Option<DictPage>,
        stats: Option<(&mut Stats, u64)>,
        z: &mut Zstd,
    ) -> Result<(ChunkPages, ColumnCloseResult), ParquetError> {
        let mut dict_offset = None;
        let mut data_offset = 0;
        if let Some(page) = dictionary {
            match page {
                DictPage::Plain(values, body) => {
                    self.write(PageKind::Dictionary { values }, body, z)?;
                }
                DictPage::Digests(digests) => self.write_digests(true, &digests, z)?,
            }
            // Written last, placed first.
            if let Some(dict) = self.pages.pop() {
                data_offset = dict.len() as i64;
                self.pages.insert(0, dict);
            }
            dict_offset = Some(0);
        }
        let len = self.len;
        let pages = ChunkPages(self.pages.drain(..).map(Bytes::from).collect());
        let mut meta = ColumnChunkMetaData::builder(self.descr.clone())
            .set_compression(self.compression)
            .set_encodings(std::mem::take(&mut self.encodings))
            .set_num_values(self.entries)
            .set_total_compressed_size(len as i64)
            .set_total_uncompressed_size(self.uncompressed)
            .set_data_page_offset(data_offset)
            .set_dictionary_page_offset(dict_offset);
        if let Some((s, nulls)) = stats {
            meta = meta.set_statistics(s.take(nulls));
        }
        let close = ColumnCloseResult {
            bytes_written: len as u64,
            rows_written: 0,
            metadata: meta.build()?,
            bloom_filter: None,
            column_index: None,
            offset_index: None,
        };
        self.uncompressed = 0;
        self.entries = 0;
        self.len = 0;
        Ok((pages, close))
    }
}

/// A finished column chunk: its framed pages in file order, which the file writer reads in
/// place. (Concatenated first, every chunk was copied once more into fresh memory, whose page
/// faults alone were ~1.5 % of enrich + encode; perf, 2026-11-25 night.)
pub struct ChunkPages(Vec<Bytes>);

impl ChunkPages {
    /// Bytes of the chunk.
    pub fn bytes(&self) -> usize {
        self.0.iter().map(Bytes::len).sum()
    }

    /// The pages from byte `start` of the chunk on.
    fn from(&self, mut start: usize) -> std::collections::VecDeque<Bytes> {
        let mut out = std::collections::VecDeque::with_capacity(self.0.len());
        for page in &self.0 {
            if start >= page.len() {
                start -= page.len();
                continue;
            }
            out.push_back(page.slice(start..));
            start = 0;
        }
        out
    }
}

impl Length for ChunkPages {
    fn len(&self) -> u64 {
        self.bytes() as u64
    }
}

impl ChunkReader for ChunkPages {
    type T = PagesRead;

    fn get_read(&self, start: u64) -> Result<PagesRead, ParquetError> {
        Ok(PagesRead(self.from(start as usize)))
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes, ParquetError> {
        let mut out = vec![0; length];
        PagesRead(self.from(start as usize)).read_exact(&mut out)?;
        Ok(Bytes::from(out))
    }
}

/// Reads [`ChunkPages`] front to back.
pub struct PagesRead(std::collections::VecDeque<Bytes>);

impl Read for PagesRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(page) = self.0.front_mut() else {
            return Ok(0);
        };
        let n = buf.len().min(page.len());
        buf[..n].copy_from_slice(&page[..n]);
        bytes::Buf::advance(page, n);
        if page.is_empty() {
            self.0.pop_front();
        }
        Ok(n)
    }
}

#[cfg(test)]
mod unit {
    use super::{ChunkPages, ChunkReader, Length};
    use bytes::Bytes;
    use std::io::Read;

    #[test]
    fn pages_read_as_one_chunk_from_any_offset() {
        let pages = ChunkPages(vec![
            Bytes::from_static(b"abc"),
            Bytes::new(),
            Bytes::from_static(b"defgh"),
            Bytes::from_static(b"i"),
        ]);
        let whole = b"abcdefghi";
        assert_eq!(pages.len(), 9);
        for start in 0..=whole.len() {
            let mut got = Vec::new();
            let mut read = pages.get_read(start as u64).expect("read");
            // Small reads cross page boundaries one piece at a time.
            let mut buf = [0u8; 2];
            loop {
                let n = read.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, whole[start..], "from {start}");
            for len in 0..=whole.len() - start {
                let b = pages.get_bytes(start as u64, len).expect("bytes");
                assert_eq!(&b[..], &whole[start..start + len]);
            }
        }
        assert!(pages.get_bytes(8, 2).is_err(), "past the end");
    }
}
