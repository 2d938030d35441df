//! Column-chunk min/max of a direct-encoded column, kept as values arrive.

use parquet::basic::Type as Physical;
use parquet::data_type::ByteArray;
use parquet::file::statistics::Statistics;

/// Running min/max of one column chunk, by physical type.
pub enum Stats {
    /// INT32 columns.
    I32(Option<(i32, i32)>),
    /// INT64 columns (timestamps included).
    I64(Option<(i64, i64)>),
    /// DOUBLE columns; NaN is left out, as parquet-rs does.
    F64(Option<(f64, f64)>),
    /// BYTE_ARRAY columns, compared as unsigned bytes. Buffers are reused, so a max that
    /// rises every row (time-ordered ids) costs no allocation.
    Bytes {
        seen: bool,
        min: Vec<u8>,
        max: Vec<u8>,
    },
}

fn widen<T: PartialOrd + Copy>(acc: &mut Option<(T, T)>, v: T) {
    match acc {
        None => *acc = Some((v, v)),
        Some((lo, hi)) => {
            if v < *lo {
                *lo = v;
            }
            if v > *hi {
                *hi = v;
            }
        }
    }
}

impl Stats {
    /// Empty statistics for a column of type `t`.
    pub fn new(t: Physical) -> Self {
        match t {
            Physical::INT32 => Stats::I32(None),
            Physical::INT64 => Stats::I64(None),
            Physical::DOUBLE => Stats::F64(None),
            _ => Stats::Bytes {
                seen: false,
                min: Vec::new(),
                max: Vec::new(),
            },
        }
    }

    /// Adds the fixed-width values of a PLAIN page: typed loops, where a value at a time went
    /// through a run-time width and a `match` per value (perf: ~1 % of enrich + encode).
    pub fn fixed_page(&mut self, plain: &[u8]) {
        fn words<const N: usize>(p: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
            p.chunks_exact(N).map(|c| c.try_into().unwrap_or([0; N]))
        }
        /// Min and max of a page of integers, folded into `acc`.
        fn ints<const N: usize, T: Ord + Copy>(
            acc: &mut Option<(T, T)>,
            plain: &[u8],
            from: fn([u8; N]) -> T,
        ) {
            let mut v = words::<N>(plain).map(from);
            if let Some(first) = v.next() {
                let (lo, hi) = v.fold((first, first), |(lo, hi), x| (lo.min(x), hi.max(x)));
                widen(acc, lo);
                widen(acc, hi);
            }
        }
        match self {
            Stats::I32(acc) => ints(acc, plain, i32::from_le_bytes),
            Stats::I64(acc) => ints(acc, plain, i64::from_le_bytes),
            Stats::F64(acc) => {
                for v in words::<8>(plain).map(f64::from_le_bytes) {
                    if !v.is_nan() {
                        widen(acc, v);
                    }
                }
            }
            Stats::Bytes { .. } => {}
        }
    }

    /// Adds a byte-array value.
    #[inline]
    pub fn bytes(&mut self, v: &[u8]) {
        if let Stats::Bytes { seen, min, max } = self {
            if !*seen || v < min.as_slice() {
                min.clear();
                min.extend_from_slice(v);
            }
            if !*seen || v > max.as_slice() {
                max.clear();
                max.extend_from_slice(v);
            }
            *seen = true;
        }
    }

    /// The chunk's statistics (with `nulls`), resetting for the next chunk.
    pub fn take(&mut self, nulls: u64) -> Statistics {
        let n = Some(nulls);
        let s = match self {
            Stats::I32(acc) => Statistics::new(acc.map(|a| a.0), acc.map(|a| a.1), None, n, false),
            Stats::I64(acc) => Statistics::new(acc.map(|a| a.0), acc.map(|a| a.1), None, n, false),
            Stats::F64(acc) => {
                // The spec's rule for zeros: a min of 0 is written -0.0, a max of 0 as +0.0.
                let lo = acc.map(|a| if a.0 == 0.0 { -0.0 } else { a.0 });
                let hi = acc.map(|a| if a.1 == 0.0 { 0.0 } else { a.1 });
                Statistics::new(lo, hi, None, n, false)
            }
            Stats::Bytes { seen, min, max } => {
                let (lo, hi) = if *seen {
                    (
                        Some(ByteArray::from(min.clone())),
                        Some(ByteArray::from(max.clone())),
                    )
                } else {
                    (None, None)
                };
                Statistics::new(lo, hi, None, n, false)
            }
        };
        *self = match self {
            Stats::I32(_) => Stats::I32(None),
            Stats::I64(_) => Stats::I64(None),
            Stats::F64(_) => Stats::F64(None),
            Stats::Bytes { .. } => Stats::Bytes {
                seen: false,
                min: Vec::new(),
                max: Vec::new(),
            },
        };
        s
    }
}
