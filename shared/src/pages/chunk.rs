//! The finished pages of one column chunk, framed by parquet-rs's page writer, and the chunk's
//! metadata.

use super::stats::Stats;
use bytes::Bytes;
use parquet::basic::{Compression, Encoding};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::ParquetError;
use parquet::file::metadata::ColumnChunkMetaData;
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;
use std::io::Write;

/// The one zstd context every column of every file shares: parquet-rs creates a context per
/// column chunk, whose set-up (`cpuid` probing, trapped in a VM) cost ~20 µs a pair.
pub struct Zstd {
    level: i32,
    ctx: zstd::bulk::Compressor<'static>,
}

impl Zstd {
    /// A context compressing at `level`.
    pub fn new(level: i32) -> Result<Self, ParquetError> {
        let ctx = zstd::bulk::Compressor::new(level)
            .map_err(|e| ParquetError::General(format!("zstd: {e}")))?;
        Ok(Zstd { level, ctx })
    }

    fn compress(&mut self, data: &[u8]) -> Result<Vec<u8>, ParquetError> {
        self.ctx
            .compress(data)
            .map_err(|e| ParquetError::General(format!("zstd level {}: {e}", self.level)))
    }
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

/// Pages written so far for one column chunk.
pub struct Chunk {
    descr: ColumnDescPtr,
    compression: Compression,
    /// Framed pages, each in its own buffer: one growing buffer was copied at every doubling.
    pages: Vec<Vec<u8>>,
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

    /// Compresses `body` and appends it, framed as `kind`.
    pub fn write(
        &mut self,
        kind: PageKind,
        body: Vec<u8>,
        z: &mut Zstd,
    ) -> Result<(), ParquetError> {
        let raw = body.len();
        let buf = Bytes::from(match self.compression {
            Compression::ZSTD(_) => z.compress(&body)?,
            _ => body,
        });
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

    /// The chunk's bytes (dictionary page first, when `dictionary` holds one) and metadata,
    /// offsets relative to the chunk's start; `self` is left empty for the next chunk.
    pub fn finish(
        &mut self,
        dictionary: Option<(u32, Vec<u8>)>,
        stats: Option<(&mut Stats, u64)>,
        z: &mut Zstd,
    ) -> Result<(Bytes, ColumnCloseResult), ParquetError> {
        let mut dict_offset = None;
        let mut data_offset = 0;
        if let Some((values, body)) = dictionary {
            self.write(PageKind::Dictionary { values }, body, z)?;
            // Written last, placed first.
            if let Some(dict) = self.pages.pop() {
                data_offset = dict.len() as i64;
                self.pages.insert(0, dict);
            }
            dict_offset = Some(0);
        }
        let mut bytes = Vec::with_capacity(self.len);
        for page in self.pages.drain(..) {
            bytes.extend_from_slice(&page);
        }
        let mut meta = ColumnChunkMetaData::builder(self.descr.clone())
            .set_compression(self.compression)
            .set_encodings(std::mem::take(&mut self.encodings))
            .set_num_values(self.entries)
            .set_total_compressed_size(bytes.len() as i64)
            .set_total_uncompressed_size(self.uncompressed)
            .set_data_page_offset(data_offset)
            .set_dictionary_page_offset(dict_offset);
        if let Some((s, nulls)) = stats {
            meta = meta.set_statistics(s.take(nulls));
        }
        let close = ColumnCloseResult {
            bytes_written: bytes.len() as u64,
            rows_written: 0,
            metadata: meta.build()?,
            bloom_filter: None,
            column_index: None,
            offset_index: None,
        };
        self.uncompressed = 0;
        self.entries = 0;
        self.len = 0;
        Ok((Bytes::from(bytes), close))
    }
}
