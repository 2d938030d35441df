//! When visits start: an inhomogeneous Poisson process over the time window whose intensity is
//! the sum of every region's local diurnal curve, so traffic peaks when Europe and the US are
//! awake and each region's share follows its own clock.
//!
//! The rate adapts to the number of records still to write, so the requested count fills the
//! whole window instead of stopping at noon or running out early.

use super::regions::{local_activity, REGIONS};
use super::rng::Rng;

const MINUTE_MS: i64 = 60_000;

/// Session start times, in increasing order.
#[derive(Debug)]
pub struct Clock {
    start_ms: i64,
    end_ms: i64,
    /// Normalised cumulative intensity at each minute boundary (`cdf[0] = 0`, last = 1).
    cdf: Vec<f64>,
    /// Position in cumulative-intensity space, in `[0, 1)`.
    pos: f64,
    weights: Vec<f64>,
}

fn intensity(utc_minute: i64) -> f64 {
    REGIONS
        .iter()
        .map(|r| r.weight * local_activity(utc_minute + i64::from(r.utc_offset_min)))
        .sum()
}

impl Clock {
    /// A clock over `[start_ms, end_ms)` (at least one minute).
    pub fn new(start_ms: i64, end_ms: i64) -> Clock {
        let minutes = ((end_ms - start_ms + MINUTE_MS - 1) / MINUTE_MS).max(1);
        let first = start_ms.div_euclid(MINUTE_MS);
        let mut cdf = Vec::with_capacity(minutes as usize + 1);
        let mut acc = 0.0;
        cdf.push(acc);
        for m in 0..minutes {
            acc += intensity(first + m);
            cdf.push(acc);
        }
        for c in &mut cdf {
            *c /= acc;
        }
        if let Some(last) = cdf.last_mut() {
            *last = 1.0;
        }
        Clock {
            start_ms,
            end_ms: end_ms.max(start_ms + 1),
            cdf,
            pos: 0.0,
            weights: vec![0.0; REGIONS.len()],
        }
    }

    /// End of the window (exclusive).
    pub fn end_ms(&self) -> i64 {
        self.end_ms
    }

    /// The next session start, given how many sessions are still expected.
    pub fn next_start(&mut self, rng: &mut Rng, sessions_left: f64) -> i64 {
        let room = 1.0 - self.pos;
        let mut next = self.pos + rng.exp(1.0) * room / sessions_left.max(1.0);
        if next >= 1.0 {
            // Never leave the window: the last few sessions squeeze into the remaining time.
            next = self.pos + room * rng.f64();
        }
        self.pos = next;
        self.ms_at(next)
    }

    fn ms_at(&self, p: f64) -> i64 {
        let minutes = self.cdf.len() - 1;
        let m = self
            .cdf
            .partition_point(|&c| c <= p)
            .saturating_sub(1)
            .min(minutes - 1);
        let (lo, hi) = (self.cdf[m], self.cdf[m + 1]);
        let frac = if hi > lo {
            ((p - lo) / (hi - lo)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let ms = self.start_ms + m as i64 * MINUTE_MS + (frac * MINUTE_MS as f64) as i64;
        ms.min(self.end_ms - 1)
    }

    /// The region a session starting at `ms` comes from, by local time of day.
    pub fn region_at(&mut self, rng: &mut Rng, ms: i64) -> usize {
        let minute = ms.div_euclid(MINUTE_MS);
        let mut total = 0.0;
        for (w, r) in self.weights.iter_mut().zip(REGIONS) {
            total += r.weight * local_activity(minute + i64::from(r.utc_offset_min));
            *w = total;
        }
        let u = rng.f64() * total;
        self.weights
            .partition_point(|&c| c <= u)
            .min(REGIONS.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn starts_are_ordered_diurnal_and_fill_the_window() {
        let start = shared::time::Date::parse("2026-11-20").unwrap().start_ms();
        let mut clock = Clock::new(start, start + DAY);
        let mut rng = Rng::new(1);
        let n = 50_000;
        let mut hours = [0usize; 24];
        let mut last = start;
        for i in 0..n {
            let t = clock.next_start(&mut rng, (n - i) as f64);
            assert!(t >= last && t < start + DAY);
            last = t;
            hours[((t - start) / 3_600_000) as usize] += 1;
        }
        assert!(last > start + DAY - 3_600_000, "the window is filled");
        // Night in Europe and America (around 08:00 UTC is still night in the US, 04:00 UTC
        // everywhere relevant) is much quieter than the European evening / US afternoon.
        assert!(hours[4] * 2 < hours[18], "{hours:?}");
        let de = REGIONS.iter().position(|r| r.country == "DE").unwrap();
        let us_west = REGIONS
            .iter()
            .position(|r| r.tz == "America/Los_Angeles")
            .unwrap();
        let count = |clock: &mut Clock, rng: &mut Rng, hour: i64, region: usize| {
            (0..5000)
                .filter(|_| clock.region_at(rng, start + hour * 3_600_000) == region)
                .count()
        };
        assert!(count(&mut clock, &mut rng, 19, de) > 3 * count(&mut clock, &mut rng, 3, de));
        assert!(count(&mut clock, &mut rng, 3, us_west) > count(&mut clock, &mut rng, 12, us_west));
    }
}
