//! Bursts: an event's vote rate far above its own recent baseline, with a rating mix unlike
//! the baseline's.
//!
//! The rate is the number of votes in the last window (a sliding window); the baseline is the
//! count per window over the preceding windows (empty ones included, from the event's first
//! vote on). The bar is robust: the baseline's median plus `sigmas` times its spread (the
//! median absolute deviation scaled to a standard deviation, never below the Poisson spread
//! √median), and never below `min_votes`, so one lively minute in a quiet event does not
//! count, and a baseline that was itself spiky raises its own bar. A fast rate alone is not
//! enough — the end of a talk brings one — the burst's ratings must also differ from the
//! baseline's (total variation distance at least `shift`); then the ratings it leans towards
//! are the ones flagged.

use std::collections::VecDeque;

/// How bursts are judged.
#[derive(Debug, Clone)]
pub struct BurstSettings {
    /// The window's width, in milliseconds.
    pub window_ms: i64,
    /// How many windows before the current one make the baseline, at most.
    pub baseline_windows: i64,
    /// Fewer baseline windows than this: no judgement yet.
    pub min_windows: i64,
    /// How many spreads above the median the rate must be.
    pub sigmas: f64,
    /// The rate must be at least this many votes per window.
    pub min_votes: usize,
    /// How far the burst's rating mix must be from the baseline's (total variation, 0–1).
    pub shift: f64,
    /// Fewer baseline votes than this: no rating mix to compare with.
    pub min_baseline_votes: u32,
}

impl Default for BurstSettings {
    fn default() -> Self {
        Self {
            window_ms: 30_000,
            baseline_windows: 40,
            min_windows: 6,
            sigmas: 5.0,
            min_votes: 12,
            shift: 0.3,
            min_baseline_votes: 20,
        }
    }
}

/// Ratings a burst leans towards (index 0 = rating 1).
pub type Leaning = [bool; 5];

/// One event's recent rates and rating mixes.
#[derive(Debug, Default)]
pub struct Burst {
    /// Rating counts per window-wide bucket (`at / window_ms`), oldest first.
    buckets: VecDeque<(i64, [u32; 5])>,
    /// The votes of the last window: when, and the rating's index.
    recent: VecDeque<(i64, usize)>,
    /// The bucket of the event's first vote seen.
    first: Option<i64>,
}

impl Burst {
    /// Takes a vote (`rating` 1–5 at `at` ms); the ratings of a burst now under way, if any.
    pub fn observe(&mut self, at: i64, rating: u8, s: &BurstSettings) -> Option<Leaning> {
        let w = s.window_ms.max(1);
        let index = usize::from(rating.clamp(1, 5) - 1);
        let bucket = at.div_euclid(w);
        self.first = Some(self.first.map_or(bucket, |f| f.min(bucket)));
        match self.buckets.iter_mut().rev().find(|(b, _)| *b <= bucket) {
            Some((b, counts)) if *b == bucket => counts[index] += 1,
            _ => {
                let mut counts = [0; 5];
                counts[index] = 1;
                let at_pos = self.buckets.partition_point(|(b, _)| *b < bucket);
                self.buckets.insert(at_pos, (bucket, counts));
            }
        }
        self.recent.push_back((at, index));
        while self.recent.front().is_some_and(|(t, _)| *t <= at - w) {
            self.recent.pop_front();
        }
        let keep_from = bucket - s.baseline_windows - 2;
        while self.buckets.front().is_some_and(|(b, _)| *b < keep_from) {
            self.buckets.pop_front();
        }
        self.judge(at, s)
    }

    fn judge(&self, at: i64, s: &BurstSettings) -> Option<Leaning> {
        let w = s.window_ms.max(1);
        let cut = (at - w).div_euclid(w);
        let start = self.first?.max(cut - s.baseline_windows);
        if cut - start < s.min_windows || self.recent.len() < s.min_votes {
            return None;
        }
        let mut per_window: Vec<f64> = (start..cut).map(|_| 0.0).collect();
        let mut base = [0u32; 5];
        for (b, counts) in self
            .buckets
            .iter()
            .filter(|(b, _)| (start..cut).contains(b))
        {
            let slot = usize::try_from(b - start).ok()?;
            per_window[slot] = f64::from(counts.iter().sum::<u32>());
            base.iter_mut().zip(counts).for_each(|(t, c)| *t += c);
        }
        let (median, spread) = robust_spread(&mut per_window);
        #[allow(clippy::cast_precision_loss)] // a window's votes are far below 2^52
        let rate = self.recent.len() as f64;
        if rate < median + s.sigmas * spread || base.iter().sum::<u32>() < s.min_baseline_votes {
            return None;
        }
        let mut now = [0u32; 5];
        self.recent.iter().for_each(|(_, r)| now[*r] += 1);
        let (p, q) = (shares(&now), shares(&base));
        let distance: f64 = p.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum::<f64>() / 2.0;
        (distance >= s.shift).then(|| std::array::from_fn(|r| p[r] - q[r] > s.shift / 2.0))
    }
}

/// The median and a robust spread (1.4826 × MAD, at least √median and 1) of `values`.
pub fn robust_spread(values: &mut [f64]) -> (f64, f64) {
    let median = median(values);
    let mut deviations: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
    let mad = median_of(&mut deviations);
    (median, (1.4826 * mad).max(median.sqrt()).max(1.0))
}

fn median(values: &mut [f64]) -> f64 {
    median_of(values)
}

fn median_of(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        f64::midpoint(values[mid - 1], values[mid])
    }
}

/// Each rating's share of the votes.
fn shares(counts: &[u32; 5]) -> [f64; 5] {
    let total = f64::from(counts.iter().sum::<u32>().max(1));
    counts.map(|c| f64::from(c) / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A steady event: `per_window` votes every window for `windows` windows, ratings 3–5.
    fn steady(b: &mut Burst, s: &BurstSettings, windows: i64, per_window: i64) -> i64 {
        let mut at = 0;
        for i in 0..windows * per_window {
            at = i * s.window_ms / per_window;
            let rating = [4, 5, 3, 4][usize::try_from(i % 4).unwrap()];
            assert_eq!(b.observe(at, rating, s), None, "steady vote {i} flagged");
        }
        at
    }

    #[test]
    fn a_fast_one_sided_wave_is_a_burst_leaning_to_its_rating() {
        let s = BurstSettings::default();
        let mut b = Burst::default();
        let end = steady(&mut b, &s, 40, 7);
        let mut found = None;
        for i in 0..100 {
            found = found.or(b.observe(end + 1000 + i * 300, 1, &s));
        }
        assert_eq!(found, Some([true, false, false, false, false]));
    }

    #[test]
    fn a_fast_wave_with_the_usual_mix_is_no_burst() {
        let s = BurstSettings::default();
        let mut b = Burst::default();
        let end = steady(&mut b, &s, 40, 7);
        for i in 0..100 {
            let rating = [4, 5, 3, 4][usize::try_from(i % 4).unwrap()];
            assert_eq!(b.observe(end + 1000 + i * 300, rating, &s), None);
        }
    }

    #[test]
    fn no_judgement_without_a_baseline() {
        let s = BurstSettings::default();
        let mut b = Burst::default();
        for i in 0..100 {
            assert_eq!(b.observe(i * 100, 1, &s), None);
        }
    }

    #[test]
    fn spread_is_robust_to_one_outlier() {
        let mut v = vec![7.0, 8.0, 6.0, 7.0, 500.0, 7.0, 8.0];
        let (median, spread) = robust_spread(&mut v);
        assert!((median - 7.0).abs() < f64::EPSILON);
        assert!(spread < 3.0, "{spread}");
    }
}
