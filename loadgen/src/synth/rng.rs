//! Seeded pseudo-random numbers and the few distributions the generator needs.
//!
//! A hand-written xoshiro256** (seeded through SplitMix64) instead of the `rand` crate: the
//! generator only needs uniform integers and floats, and owning the algorithm guarantees that a
//! seed produces the same bytes forever, whatever a dependency update changes in its streams.

/// xoshiro256** state. Not cryptographic; fast and with good statistical quality.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose whole stream is determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        Rng {
            s: [
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
            ],
        }
    }

    /// An independent generator for a sub-stream (e.g. the wire-level details), so that adding
    /// draws in one part of the generator does not shift every value drawn in another.
    pub fn derive(seed: u64, stream: u64) -> Rng {
        Rng::new(seed ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (0 when `n` is 0). Lemire's multiply-shift; the bias is below 2^-40 for
    /// every `n` used here.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform index into a collection of `len` elements.
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Uniform integer in `lo..=hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Exponentially distributed with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }

    /// Standard normal (Box–Muller; one of the pair is discarded, speed is not an issue here).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Geometric on `1, 2, 3, …` with the given mean (>= 1).
    pub fn geometric(&mut self, mean: f64) -> u32 {
        let p = 1.0 / mean.max(1.0);
        if p >= 1.0 {
            return 1;
        }
        // Inversion: floor(ln U / ln(1-p)) + 1.
        let u = 1.0 - self.f64();
        (u.ln() / (1.0 - p).ln()).floor().min(1e6) as u32 + 1
    }

    /// A uniformly chosen element; `items` must not be empty (all callers pass static tables).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// A discrete distribution over `0..n` given by (unnormalised) weights, sampled by binary search
/// over the cumulative sums.
#[derive(Debug, Clone)]
pub struct Weighted {
    cdf: Vec<f64>,
}

impl Weighted {
    /// From weights; an empty or all-zero list behaves as a single element of index 0.
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Weighted {
        let mut total = 0.0;
        let mut cdf: Vec<f64> = weights
            .into_iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        if cdf.is_empty() || total <= 0.0 {
            cdf = vec![1.0];
        }
        Weighted { cdf }
    }

    /// Zipf weights `1 / (rank+1)^s` over `n` ranks (rank 0 is the most frequent).
    pub fn zipf(n: usize, s: f64) -> Weighted {
        Weighted::new((0..n.max(1)).map(|k| 1.0 / ((k + 1) as f64).powf(s)))
    }

    /// Number of outcomes.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.cdf.len()
    }

    /// Draws an index.
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cdf.last().copied().unwrap_or(1.0);
        let u = rng.f64() * total;
        self.cdf
            .partition_point(|&c| c <= u)
            .min(self.cdf.len() - 1)
    }
}

/// Picks from a static table of `(item, weight)` pairs.
pub fn pick_weighted<T: Copy>(rng: &mut Rng, table: &[(T, f64)]) -> T {
    let total: f64 = table.iter().map(|(_, w)| w).sum();
    let mut u = rng.f64() * total;
    for (item, w) in table {
        if u < *w {
            return *item;
        }
        u -= w;
    }
    table[table.len() - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let mut c = Rng::new(43);
        let va: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let vb: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let vc: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
    }

    #[test]
    fn distributions_have_the_right_shape() {
        let mut rng = Rng::new(7);
        let n = 200_000;
        let mean_exp = (0..n).map(|_| rng.exp(3.0)).sum::<f64>() / n as f64;
        assert!((mean_exp - 3.0).abs() < 0.05, "{mean_exp}");
        let mean_geo = (0..n).map(|_| f64::from(rng.geometric(4.0))).sum::<f64>() / n as f64;
        assert!((mean_geo - 4.0).abs() < 0.05, "{mean_geo}");
        assert!((0..1000).all(|_| (3..=5).contains(&rng.between(3, 5))));
        let z = Weighted::zipf(100, 1.0);
        let mut counts = [0usize; 100];
        for _ in 0..n {
            counts[z.sample(&mut rng)] += 1;
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[9] && counts[9] > counts[99]);
        assert_eq!(Weighted::new([]).sample(&mut rng), 0);
        assert_eq!(Weighted::new([0.0, 0.0, 1.0]).sample(&mut rng), 2);
    }
}
