//! One leaf column of a direct-encoded row group.
//!
//! A record only *appends* to the current page: a definition level and the value's PLAIN
//! bytes. Dictionary lookups, statistics and encoding wait for `Leaf::close_page`, which
//! runs them for a whole page of one column while its hash table is in cache. (Done row by
//! row, across 66 columns of ~100 partitions, every lookup missed the cache, and enrich +
//! encode was 17 % slower than through Arrow builders: BENCHMARKS.md 2026-11-25.)

use super::chunk::{Chunk, ChunkPages, DictPage, PageKind, Shape, Zstd};
use super::dict::Dict;
use super::rle::{bit_width, delta_binary_packed, put_levels, rle_hybrid};
use super::stats::Stats;
use parquet::basic::{Encoding, Type as Physical};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnDescPtr;

/// How the current page stores values.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Dict,
    Delta,
}

/// Page and dictionary size limits (from the writer properties; small in tests).
#[derive(Clone, Copy)]
pub struct Limits {
    /// Encoded bytes after which a data page is closed.
    pub page_bytes: usize,
    /// Rows after which a data page is closed.
    pub page_rows: usize,
    /// Dictionary page bytes after which the chunk falls back to PLAIN.
    pub dict_bytes: usize,
}

/// Everything a record touches, in one cache line: with ~100 partitions × 66 columns open,
/// a leaf spread over several lines cost a miss per line per row.
#[repr(align(64))]
struct Hot {
    defs: Vec<u8>,
    /// PLAIN bytes of the page's values (text: u32 length + bytes; numbers: little-endian).
    plain: Vec<u8>,
    max_def: i16,
    /// Bytes per value of a fixed-width column, 0 for text.
    width: u8,
}

/// Encoder of one leaf column (see the module doc).
pub struct Leaf {
    h: Hot,
    max_rep: i16,
    reps: Vec<u8>,
    mode: Mode,
    initial: Mode,
    dict: Dict,
    dict_used: bool,
    /// Row (of the row group) at which the current page started.
    page_start: usize,
    stats: Option<Stats>,
    nulls: u64,
    /// Values arrive as 32-byte digests and are kept so ([`Leaf::digest`]); their pages are
    /// written by [`Chunk::write_digests`] without the hex ever being spelled out.
    digests: bool,
    chunk: Chunk,
}

impl Leaf {
    /// An empty encoder for `descr`, with the settings `props` gives its path.
    pub fn new(descr: ColumnDescPtr, props: &WriterProperties) -> Result<Self, ParquetError> {
        let path = descr.path();
        let width = match descr.physical_type() {
            Physical::INT32 => 4,
            Physical::INT64 | Physical::DOUBLE => 8,
            Physical::BYTE_ARRAY => 0,
            other => {
                return Err(ParquetError::General(format!(
                    "direct encoder: no support for {other} ({path})"
                )))
            }
        };
        let mode = if props.encoding(path) == Some(Encoding::DELTA_BINARY_PACKED) {
            if descr.physical_type() != Physical::INT64 || descr.max_def_level() > 0 {
                return Err(ParquetError::General(format!(
                    "direct encoder: delta only for required int64 ({path})"
                )));
            }
            Mode::Delta
        } else if props.dictionary_enabled(path) {
            Mode::Dict
        } else {
            Mode::Plain
        };
        let stats = (props.statistics_enabled(path) != EnabledStatistics::None)
            .then(|| Stats::new(descr.physical_type()));
        Ok(Leaf {
            h: Hot {
                defs: Vec::new(),
                plain: Vec::new(),
                max_def: descr.max_def_level(),
                width,
            },
            max_rep: descr.max_rep_level(),
            reps: Vec::new(),
            mode,
            initial: mode,
            dict: Dict::default(),
            dict_used: false,
            page_start: 0,
            stats,
            nulls: 0,
            digests: false,
            chunk: Chunk::new(descr.clone(), props.compression(path))?,
        })
    }

    /// Marks the column's values as the lowercase hex of 32-byte digests (and, when
    /// `distinct`, distinct in every row: see `Chunk::shape`). A required zstd column
    /// without statistics then keeps the digests themselves, as dictionary keys too.
    pub fn hex_digests(&mut self, distinct: bool) {
        if distinct {
            self.chunk.shape = Shape::Hex;
        }
        self.digests = self.mode != Mode::Delta
            && self.h.max_def == 0
            && self.h.width == 0
            && self.stats.is_none()
            && self.chunk.zstd();
    }

    /// One required value: the lowercase hex of a 32-byte digest.
    #[inline]
    pub fn digest(&mut self, d: &[u8; 32]) {
        if self.digests {
            self.h.plain.extend_from_slice(d);
        } else {
            self.text_words(&crate::batch::hex32_words(d), 64);
        }
    }

    /// Marks the column's values as UUID text (`event_id`: see `pages::uuidzstd`).
    pub fn uuid_text(&mut self) {
        self.chunk.shape = Shape::Uuid;
    }

    /// Maximum definition level (0 for a required column).
    pub fn max_def(&self) -> i16 {
        self.h.max_def
    }

    /// Records the levels of one entry of a nested column. A value must follow when `def` is
    /// the maximum.
    #[inline]
    pub fn level(&mut self, def: u8, rep: u8) {
        if self.h.max_def > 0 {
            self.h.defs.push(def);
        }
        if self.max_rep > 0 {
            self.reps.push(rep);
        }
    }

    /// One entry of a flat column: its definition level (nullable columns only).
    #[inline]
    fn flat(&mut self, present: bool) {
        if self.h.max_def > 0 {
            self.h.defs.push(u8::from(present));
        }
    }

    /// One flat text entry (`None` only in a nullable column).
    #[inline]
    pub fn text(&mut self, v: Option<&str>) {
        self.flat(v.is_some());
        if let Some(s) = v {
            self.text_value(s.as_bytes());
        }
    }

    /// One flat fixed-width entry (`i32`/`i64` as their two's complement, `f64` as its bits).
    #[inline]
    pub fn fixed(&mut self, v: Option<u64>) {
        self.flat(v.is_some());
        if let Some(bits) = v {
            self.fixed_value(bits);
        }
    }

    /// The value of an entry whose levels were just recorded.
    #[inline]
    pub fn text_value(&mut self, v: &[u8]) {
        let p = &mut self.h.plain;
        p.reserve(4 + v.len());
        p.extend_from_slice(&(v.len() as u32).to_le_bytes());
        p.extend_from_slice(v);
    }

    /// A required text value given as little-endian words, of which the first `len` bytes
    /// count (ids: their hex is produced a word at a time and goes straight into the page).
    #[inline]
    pub fn text_words<const N: usize>(&mut self, words: &[u64; N], len: usize) {
        let p = &mut self.h.plain;
        p.reserve(4 + N * 8);
        p.extend_from_slice(&(len as u32).to_le_bytes());
        let end = p.len() + len;
        for w in words {
            p.extend_from_slice(&w.to_le_bytes());
        }
        p.truncate(end);
    }

    /// The value of an entry whose levels were just recorded (see [`Leaf::fixed`]).
    #[inline]
    pub fn fixed_value(&mut self, bits: u64) {
        // Constant-size copies: a slice of run-time length became a `memmove` call (perf).
        if self.h.width == 4 {
            self.h.plain.extend_from_slice(&(bits as u32).to_le_bytes());
        } else {
            self.h.plain.extend_from_slice(&bits.to_le_bytes());
        }
    }

    /// `n` entries of a nested column that are null at the top (def 0, rep 0).
    pub fn top_nulls(&mut self, n: usize) {
        let d = &mut self.h.defs;
        d.resize(d.len() + n, 0);
        if self.max_rep > 0 {
            self.reps.resize(self.reps.len() + n, 0);
        }
    }

    /// Closes the current page if it is over a limit; `rows` of the row group are appended.
    pub fn maybe_close_page(
        &mut self,
        limits: &Limits,
        rows: usize,
        z: &mut Zstd,
    ) -> Result<(), ParquetError> {
        let bytes = self.h.plain.len() + self.h.defs.len() / 4;
        if rows - self.page_start >= limits.page_rows || bytes >= limits.page_bytes {
            self.close_page(limits, rows, z)?;
        }
        Ok(())
    }

    /// Estimated bytes of this column chunk so far.
    pub fn encoded_estimate(&self) -> usize {
        self.chunk.encoded_len() + self.dict.page.len() + self.h.plain.len()
    }

    /// Calls `f` with each value of the current page: text bytes, or fixed-width bits.
    fn for_each_value<'s>(&'s self, mut f: impl FnMut(Result<&'s [u8], u64>)) {
        let p = &self.h.plain;
        let width = usize::from(self.h.width);
        if width == 0 {
            let mut at = 0;
            while let Some(len) = p.get(at..at + 4) {
                let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
                f(Ok(&p[at + 4..at + 4 + len]));
                at += 4 + len;
            }
        } else if width == 4 {
            // Constant widths: a copy of run-time length was a `memcpy` call per value.
            for c in p.chunks_exact(4) {
                f(Err(u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))));
            }
        } else {
            for c in p.chunks_exact(8) {
                f(Err(u64::from_le_bytes(c.try_into().unwrap_or_default())));
            }
        }
    }

    /// Dictionary indexes of the current page's values, adding new values to the dictionary.
    fn intern_page(&mut self) -> Vec<u32> {
        let mut idx = Vec::with_capacity(self.h.plain.len() / usize::from(self.h.width.max(4)));
        let mut d = std::mem::take(&mut self.dict);
        if self.digests {
            idx.extend(self.h.plain.chunks_exact(32).map(|k| d.index(Ok(k), 0)));
            self.dict = d;
            return idx;
        }
        let width = usize::from(self.h.width);
        let mut last: Option<(Result<&[u8], u64>, u32)> = None;
        self.for_each_value(|v| {
            // Runs of one value (years, sources, a visitor's ids) skip the hash.
            if let Some((prev, i)) = last {
                if prev == v {
                    idx.push(i);
                    return;
                }
            }
            let i = d.index(v, width);
            last = Some((v, i));
            idx.push(i);
        });
        self.dict = d;
        idx
    }

    /// Adds the current page's values and nulls to the chunk statistics.
    fn page_stats(&mut self) {
        if let Some(mut s) = self.stats.take() {
            if self.h.width > 0 {
                s.fixed_page(&self.h.plain);
            } else {
                self.for_each_value(|v| {
                    if let Ok(text) = v {
                        s.bytes(text);
                    }
                });
            }
            let max = self.h.max_def as u8;
            self.nulls += self.h.defs.iter().filter(|d| **d < max).count() as u64;
            self.stats = Some(s);
        }
    }

    fn close_page(
        &mut self,
        limits: &Limits,
        rows: usize,
        z: &mut Zstd,
    ) -> Result<(), ParquetError> {
        let values = if self.h.max_def > 0 {
            self.h.defs.len()
        } else {
            rows - self.page_start
        };
        self.page_start = rows;
        if values == 0 {
            return Ok(());
        }
        if self.digests && self.mode == Mode::Plain {
            if self.chunk.shape == Shape::Hex {
                self.chunk.write_digests(false, &self.h.plain, z)?;
                self.h.plain.clear();
                return Ok(());
            }
            // Values that repeat: libzstd's matches find the repeats, so the hex is spelled.
            let digests = std::mem::take(&mut self.h.plain);
            self.h.plain.reserve(digests.len() / 32 * 68);
            for d in digests.chunks_exact(32) {
                let d: &[u8; 32] = d.try_into().unwrap_or(&[0; 32]);
                self.text_words(&crate::batch::hex32_words(d), 64);
            }
        }
        self.page_stats();
        let mut body = z.take_body();
        body.reserve(self.h.plain.len() + self.h.defs.len() / 4 + 16);
        if self.max_rep > 0 {
            put_levels(&self.reps, self.max_rep, &mut body);
        }
        if self.h.max_def > 0 {
            put_levels(&self.h.defs, self.h.max_def, &mut body);
        }
        let encoding = match self.mode {
            Mode::Dict if !self.h.plain.is_empty() => {
                let idx = self.intern_page();
                let width = bit_width(u64::from(self.dict.len - 1));
                body.push(width);
                rle_hybrid(&idx, width, &mut body);
                self.dict_used = true;
                Encoding::RLE_DICTIONARY
            }
            // PLAIN, or a page of nulls only (no value, no dictionary needed).
            Mode::Dict | Mode::Plain => {
                body.extend_from_slice(&self.h.plain);
                Encoding::PLAIN
            }
            Mode::Delta => {
                let mut v = Vec::with_capacity(self.h.plain.len() / 8);
                self.for_each_value(|x| v.push(x.err().unwrap_or_default() as i64));
                delta_binary_packed(&v, &mut body);
                Encoding::DELTA_BINARY_PACKED
            }
        };
        let kind = PageKind::Data {
            values: values as u32,
            encoding,
        };
        self.chunk.write(kind, body, z)?;
        self.h.defs.clear();
        self.reps.clear();
        self.h.plain.clear();
        // A dictionary over its limit: this chunk's next pages are PLAIN (as parquet-rs does).
        // (Digest keys take 36 bytes here, for 68 in the page written.)
        let dict_bytes = if self.digests {
            self.dict.page.len() / 36 * 68
        } else {
            self.dict.page.len()
        };
        if self.mode == Mode::Dict && dict_bytes > limits.dict_bytes {
            self.mode = Mode::Plain;
        }
        Ok(())
    }

    /// Closes the last page and returns the chunk with its metadata (see `Chunk::finish`);
    /// `rows` of the row group were appended. The encoder is left empty for the next chunk.
    pub fn close(
        &mut self,
        limits: &Limits,
        rows: usize,
        z: &mut Zstd,
    ) -> Result<(ChunkPages, ColumnCloseResult), ParquetError> {
        self.close_page(limits, rows, z)?;
        let dict = std::mem::take(&mut self.dict);
        let dictionary = self.dict_used.then(|| {
            if self.digests {
                // Keys are stored u32 length + digest: keep the digests.
                DictPage::Digests(
                    dict.page
                        .chunks_exact(36)
                        .flat_map(|k| &k[4..])
                        .copied()
                        .collect(),
                )
            } else {
                DictPage::Plain(dict.len, dict.page)
            }
        });
        let stats = self.stats.as_mut().map(|s| (s, self.nulls));
        let out = self.chunk.finish(dictionary, stats, z)?;
        self.dict_used = false;
        self.nulls = 0;
        self.page_start = 0;
        // A chunk that fell back to PLAIN starts the next one with a dictionary again.
        self.mode = self.initial;
        Ok(out)
    }
}
