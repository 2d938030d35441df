//! Pure planning for PutRecords: which entries go in which call, and how long to wait before
//! retrying the failed ones.

use super::{
    PutEntry, MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MAX_PARTITION_KEY_BYTES, MAX_RECORD_BYTES,
};
use std::ops::Range;
use std::time::Duration;

/// Why an entry can never be written.
pub fn entry_problem(e: &PutEntry) -> Option<&'static str> {
    if e.partition_key.is_empty() {
        Some("empty partition key")
    } else if e.partition_key.len() > MAX_PARTITION_KEY_BYTES {
        Some("partition key longer than 256 bytes")
    } else if e.billed_bytes() > MAX_RECORD_BYTES {
        Some("record larger than 1 MiB")
    } else {
        None
    }
}

/// Splits `entries` (indexes given by `pending`) into consecutive calls of at most
/// [`MAX_BATCH_RECORDS`] records and [`MAX_BATCH_BYTES`] bytes, keeping their order.
/// Entries with an [`entry_problem`] must be filtered out before.
pub fn plan_batches(sizes: &[usize]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0usize, 0usize);
    for (i, &size) in sizes.iter().enumerate() {
        let full = i - start == MAX_BATCH_RECORDS || bytes + size > MAX_BATCH_BYTES;
        if full && i > start {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

/// Exponential backoff with "full jitter" (AWS architecture blog): a uniform wait between 0
/// and min(cap, base · 2^attempt), so that many writers throttled together do not retry in
/// lockstep.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// First ceiling.
    pub base: Duration,
    /// Largest ceiling.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(50),
            cap: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// Wait before retry number `attempt` (0-based), given a uniform random `unit` in [0, 1).
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX))
            .min(self.cap);
        ceiling.mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// A tiny xorshift generator for jitter: no dependency, no global state, seeded per writer.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeded generator (a zero seed is replaced by a constant).
    pub fn new(seed: u64) -> Self {
        Jitter(seed.max(1))
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    #[allow(clippy::single_range_in_vec_init)] // one planned call is a one-range Vec
    fn batches_respect_count_and_byte_limits() {
        // (sizes, expected ranges, why)
        let mib = 1024 * 1024;
        let cases: Vec<(Vec<usize>, Vec<Range<usize>>, &str)> = vec![
            (vec![], vec![], "nothing to send, no call"),
            (
                vec![10; 500],
                vec![0..500],
                "500 small records fit one call",
            ),
            (
                vec![10; 501],
                vec![0..500, 500..501],
                "the 501st starts a second call",
            ),
            (
                vec![10; 1200],
                vec![0..500, 500..1000, 1000..1200],
                "count limit repeats",
            ),
            (
                vec![mib; 6],
                vec![0..5, 5..6],
                "5 MiB per call: the sixth 1 MiB record waits",
            ),
            (
                vec![mib, mib, 3 * mib + 1, 100],
                vec![0..2, 2..4],
                "bytes add up across records",
            ),
            (
                vec![5 * mib],
                vec![0..1],
                "one record exactly at the call limit",
            ),
        ];
        for (sizes, want, why) in cases {
            assert_eq!(plan_batches(&sizes), want, "{why}");
        }
    }

    #[test]
    fn planned_batches_never_exceed_limits() {
        let mut j = Jitter::new(7);
        for _ in 0..200 {
            let sizes: Vec<usize> = (0..(j.unit() * 2000.0) as usize)
                .map(|_| (j.unit() * 40_000.0) as usize + 1)
                .collect();
            let plan = plan_batches(&sizes);
            let mut next = 0;
            for r in plan {
                assert_eq!(r.start, next, "contiguous, in order");
                assert!(r.len() <= MAX_BATCH_RECORDS && !r.is_empty());
                assert!(sizes[r.clone()].iter().sum::<usize>() <= MAX_BATCH_BYTES);
                next = r.end;
            }
            assert_eq!(next, sizes.len(), "every entry planned");
        }
    }

    #[test]
    fn entry_problems_are_named() {
        let e = |k: &str, n: usize| PutEntry {
            partition_key: k.into(),
            data: Bytes::from(vec![0u8; n]),
        };
        assert_eq!(entry_problem(&e("k", 10)), None);
        assert_eq!(entry_problem(&e("", 10)), Some("empty partition key"));
        assert!(entry_problem(&e(&"k".repeat(257), 1)).is_some());
        assert_eq!(entry_problem(&e("k", MAX_RECORD_BYTES - 1)), None);
        assert!(entry_problem(&e("k", MAX_RECORD_BYTES)).is_some());
    }

    #[test]
    fn backoff_grows_to_its_cap_and_jitters_below_the_ceiling() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        assert_eq!(b.delay(0, 1.0), Duration::from_millis(100));
        assert_eq!(b.delay(2, 1.0), Duration::from_millis(400));
        assert_eq!(b.delay(10, 1.0), Duration::from_secs(1));
        assert_eq!(b.delay(100, 1.0), Duration::from_secs(1));
        assert_eq!(b.delay(3, 0.5), Duration::from_millis(400));
        let mut j = Jitter::new(1);
        for _ in 0..1000 {
            let u = j.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
