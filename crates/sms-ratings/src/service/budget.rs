//! The reply budget: replies cost money and a long code sends about one a second, so a flood
//! must not be answered text for text. Each sender gets at most a few replies per hour, and
//! all senders together at most so many per minute; past either, the vote (or help request)
//! is still processed and answered with an empty `<Response/>`, so Twilio sends nothing.
//!
//! Each message asks once, before it is processed; a retry of a message Twilio resends asks
//! again (rare: the request replay guard answers exact repeats without asking).

use std::sync::{Mutex, PoisonError};

use crate::flag::rate::SlidingCounts;
use crate::model::Timestamp;

/// The key the global count is kept under (no phone number looks like it).
const EVERYONE: &str = "*";

/// How many replies may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLimits {
    /// Replies per sender per hour.
    pub per_sender_per_hour: usize,
    /// Replies to all senders per minute.
    pub per_minute: usize,
}

impl Default for BudgetLimits {
    fn default() -> Self {
        Self {
            per_sender_per_hour: 5,
            per_minute: 300,
        }
    }
}

/// The replies sent recently.
#[derive(Debug, Default)]
pub(crate) struct ReplyBudget {
    limits: BudgetLimits,
    sent: Mutex<SlidingCounts>,
}

impl ReplyBudget {
    pub(crate) fn new(limits: BudgetLimits) -> Self {
        Self {
            limits,
            sent: Mutex::default(),
        }
    }

    /// Whether a reply to `phone` may go out at `at` (spending budget if so).
    pub(crate) fn allow(&self, phone: &str, at: Timestamp) -> bool {
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        let at = at.millis();
        let sender = sent.count(phone, at, 3_600_000);
        let everyone = sent.count(EVERYONE, at, 60_000);
        if sender >= self.limits.per_sender_per_hour || everyone >= self.limits.per_minute {
            return false;
        }
        sent.record(phone, at);
        sent.record(EVERYONE, at);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_gets_its_budget_and_everyone_a_rate() {
        let budget = ReplyBudget::new(BudgetLimits {
            per_sender_per_hour: 2,
            per_minute: 3,
        });
        let t = Timestamp::from_millis;
        assert!(budget.allow("+1", t(0)));
        assert!(budget.allow("+1", t(1)));
        assert!(!budget.allow("+1", t(2)));
        assert!(budget.allow("+2", t(4)));
        assert!(!budget.allow("+3", t(5)), "the global budget");
        assert!(budget.allow("+3", t(61_000)));
        assert!(budget.allow("+1", t(3_600_001)), "an hour later");
    }
}
