//! Latency histogram with fixed logarithmic buckets: 16 linear sub-buckets per power of two of
//! microseconds, so every bucket is at most 1/16 (6 %) wide relative to its value, memory is a
//! few kilobytes whatever the run length, and per-worker histograms merge by adding counts.

/// Sub-buckets per power of two.
const SUB_BITS: u32 = 4;
const SUB: u64 = 1 << SUB_BITS;
/// Covers up to 2^40 µs (12 days); larger values land in the last bucket.
const BUCKETS: usize = ((40 - SUB_BITS + 1) as usize + 1) * SUB as usize;

/// Counts of latencies in microseconds.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max_us: u64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max_us: 0,
        }
    }
}

fn index(us: u64) -> usize {
    if us < SUB {
        return us as usize;
    }
    let exp = 63 - us.leading_zeros(); // >= SUB_BITS
    let sub = (us >> (exp - SUB_BITS)) & (SUB - 1);
    let i = ((exp - SUB_BITS + 1) as u64 * SUB + sub) as usize;
    i.min(BUCKETS - 1)
}

/// Largest value that falls into bucket `i`.
fn upper(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let exp = i / SUB - 1 + u64::from(SUB_BITS);
    let sub = i % SUB;
    ((SUB + sub + 1) << (exp - u64::from(SUB_BITS))) - 1
}

impl Histogram {
    /// Records one latency.
    pub fn record(&mut self, us: u64) {
        self.counts[index(us)] += 1;
        self.total += 1;
        self.max_us = self.max_us.max(us);
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max_us = self.max_us.max(other.max_us);
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Largest value recorded.
    pub fn max(&self) -> u64 {
        self.max_us
    }

    /// The `q` quantile (0..=1), as the upper bound of its bucket (never above the maximum).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return upper(i).min(self.max_us);
            }
        }
        self.max_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_tight() {
        let mut last = None;
        for us in (0..5000u64).chain([1 << 20, (1 << 20) + 12_345, 1 << 39]) {
            let i = index(us);
            assert!(upper(i) >= us, "{us} -> bucket {i} up to {}", upper(i));
            assert!(upper(i) - us <= us / 16 + 1, "{us}: bucket too wide");
            if let Some(l) = last {
                assert!(i >= l);
            }
            last = Some(i);
        }
        assert_eq!(index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles() {
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        for us in 1..=1000 {
            a.record(us);
            b.record(us * 100);
        }
        assert_eq!(a.quantile(0.0), 1);
        let p50 = a.quantile(0.5);
        assert!((500..=532).contains(&p50), "{p50}");
        a.merge(&b);
        assert_eq!(a.count(), 2000);
        assert_eq!(a.max(), 100_000);
        assert_eq!(a.quantile(1.0), 100_000);
        let p99 = a.quantile(0.99);
        assert!((98_000..=100_000).contains(&p99), "{p99}");
        assert_eq!(Histogram::default().quantile(0.5), 0);
    }
}
