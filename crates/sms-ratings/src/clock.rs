//! What time it is for the service: the system clock, or one a test sets and moves (vote
//! windows open and close by the minute; a test cannot wait for them).
//!
//! ```
//! use std::time::Duration;
//! use sms_ratings::clock::Clock;
//! use sms_ratings::model::Timestamp;
//!
//! let clock = Clock::manual("2026-05-04T10:00:00Z".parse().unwrap());
//! clock.advance(Duration::from_secs(90));
//! assert_eq!(clock.now().rfc3339(), "2026-05-04T10:01:30Z");
//! assert!(Clock::system().now() > Timestamp::from_millis(0));
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::model::Timestamp;

/// A clock: the system's, or a manual one shared by its clones.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stays at `at` until set or advanced (every clone sees the change).
    pub fn manual(at: Timestamp) -> Self {
        Self(Some(Arc::new(AtomicI64::new(at.millis()))))
    }

    /// The time now.
    pub fn now(&self) -> Timestamp {
        match &self.0 {
            None => Timestamp::now(),
            Some(ms) => Timestamp::from_millis(ms.load(Ordering::SeqCst)),
        }
    }

    /// Sets a manual clock to `at` (the system clock cannot be set: no effect).
    pub fn set(&self, at: Timestamp) {
        if let Some(ms) = &self.0 {
            ms.store(at.millis(), Ordering::SeqCst);
        }
    }

    /// Moves a manual clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        if let Some(ms) = &self.0 {
            let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
            ms.fetch_add(by, Ordering::SeqCst);
        }
    }
}
