//! Counts per key in a sliding window: a sender's texts per minute (the `rate` signal), and
//! the replies a sender got per hour (the reply budget).

use std::collections::{HashMap, VecDeque};

/// Keys kept before the quiet ones are dropped.
const PRUNE_ABOVE: usize = 16_384;

/// Recent times per key.
#[derive(Debug, Default)]
pub struct SlidingCounts {
    times: HashMap<Box<str>, VecDeque<i64>>,
}

impl SlidingCounts {
    /// How many times `key` was recorded within `window_ms` before `at`.
    pub fn count(&mut self, key: &str, at: i64, window_ms: i64) -> usize {
        if self.times.len() > PRUNE_ABOVE {
            self.times
                .retain(|_, t| t.back().is_some_and(|last| *last > at - window_ms));
        }
        let Some(times) = self.times.get_mut(key) else {
            return 0;
        };
        while times.front().is_some_and(|t| *t <= at - window_ms) {
            times.pop_front();
        }
        times.len()
    }

    /// Records `key` at `at`.
    pub fn record(&mut self, key: &str, at: i64) {
        self.times.entry(key.into()).or_default().push_back(at);
    }

    /// Records `key` at `at` and tells whether it is now over `limit` within `window_ms`.
    pub fn over(&mut self, key: &str, at: i64, window_ms: i64, limit: usize) -> bool {
        let before = self.count(key, at, window_ms);
        self.record(key, at);
        before + 1 > limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_slide() {
        let mut c = SlidingCounts::default();
        for i in 0..5 {
            assert!(!c.over("+1", i * 1000, 60_000, 5));
        }
        assert!(c.over("+1", 5000, 60_000, 5));
        assert!(!c.over("+2", 5000, 60_000, 5));
        assert_eq!(c.count("+1", 70_000, 60_000), 0);
    }
}
