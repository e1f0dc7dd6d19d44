//! Ratings over time: votes counted per time bucket, as the results page charts them.

use super::StoreError;
use crate::model::Timestamp;

/// The votes whose latest change falls in one time bucket.
///
/// Each phone counts once, at the time of its latest vote, so the buckets of an event add up
/// to its [`crate::model::Results::count`] and their sums to its average.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBucket {
    /// Start of the bucket (a multiple of the bucket width since the epoch).
    pub start: Timestamp,
    /// Votes in the bucket.
    pub count: u64,
    /// Sum of their ratings.
    pub sum: u64,
}

impl TimeBucket {
    /// A bucket from a database row `(start, COUNT(*), SUM(rating))`, checked.
    pub(crate) fn from_db(start: i64, count: i64, sum: i64) -> Result<Self, StoreError> {
        match (u64::try_from(count), u64::try_from(sum)) {
            (Ok(count), Ok(sum)) if count > 0 && (count..=count * 5).contains(&sum) => Ok(Self {
                start: Timestamp::from_millis(start),
                count,
                sum,
            }),
            _ => Err(StoreError::Corrupt(format!(
                "bucket at {start}: {count} votes summing to {sum}"
            ))),
        }
    }
}

/// The bucket width in milliseconds for a requested width (at least one millisecond).
pub(crate) fn width_millis(bucket: std::time::Duration) -> i64 {
    i64::try_from(bucket.as_millis()).unwrap_or(i64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked() {
        assert_eq!(TimeBucket::from_db(60_000, 2, 9).unwrap().sum, 9);
        assert!(TimeBucket::from_db(0, 2, 11).is_err(), "more than 5 each");
        assert!(TimeBucket::from_db(0, 2, 1).is_err(), "less than 1 each");
        assert!(TimeBucket::from_db(0, -1, 0).is_err());
        assert_eq!(width_millis(std::time::Duration::ZERO), 1);
        assert_eq!(width_millis(std::time::Duration::from_secs(60)), 60_000);
    }
}
