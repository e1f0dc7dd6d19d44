//! The service's clock: the system's, or one a test sets (a simulated evening in seconds).
//!
//! ```
//! use sms_ratings::clock::Clock;
//! use sms_ratings::model::Timestamp;
//!
//! let clock = Clock::manual(Timestamp::from_millis(1_000));
//! clock.advance(std::time::Duration::from_secs(60));
//! assert_eq!(clock.now().millis(), 61_000);
//! assert!(Clock::system().now().millis() > 0);
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::model::Timestamp;

/// When votes arrive, as the service sees it.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stands at `start` until set or advanced (clones share it).
    pub fn manual(start: Timestamp) -> Self {
        Self(Some(Arc::new(AtomicI64::new(start.millis()))))
    }

    /// The time now.
    pub fn now(&self) -> Timestamp {
        match &self.0 {
            Some(ms) => Timestamp::from_millis(ms.load(Ordering::Relaxed)),
            None => Timestamp::now(),
        }
    }

    /// Sets a manual clock to `at` (the system clock cannot be set: nothing happens).
    pub fn set(&self, at: Timestamp) {
        if let Some(ms) = &self.0 {
            ms.store(at.millis(), Ordering::Relaxed);
        }
    }

    /// Moves a manual clock on by `by`.
    pub fn advance(&self, by: Duration) {
        if let Some(ms) = &self.0 {
            let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
            ms.fetch_add(by, Ordering::Relaxed);
        }
    }
}
