//! Number blocks: many voters whose numbers share all but the last four digits, within a
//! short time — numbers bought as a block.
//!
//! The block is the E.164 number minus its last four digits, so it includes the country code
//! and is one per country (`+1 415 555`, `+44 20 7946`). WhatsApp senders count by their
//! number. Anything that is not `+` and 8–15 digits has no block.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// The number block of `phone` (`+14155551234` → `+1415555`), if it is a phone number.
pub fn block(phone: &str) -> Option<&str> {
    let number = phone.strip_prefix("whatsapp:").unwrap_or(phone);
    let digits = number.strip_prefix('+')?;
    let ok = (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| &number[..number.len() - 4])
}

/// What one vote did to its block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cluster {
    /// The block is not (yet) crowded.
    None,
    /// The block was crowded already; this number joins it.
    Member,
    /// This number made the block crowded: every number in it now (this one included).
    Formed(Vec<Arc<str>>),
}

/// The numbers seen per block within the window.
#[derive(Debug, Default)]
pub struct Prefixes {
    blocks: HashMap<Box<str>, VecDeque<(i64, Arc<str>)>>,
}

/// Blocks kept before the quiet ones are dropped.
const PRUNE_ABOVE: usize = 4096;

impl Prefixes {
    /// Takes a vote of `phone` at `at` ms: a block is crowded with `min` distinct numbers
    /// within `window_ms`.
    pub fn observe(&mut self, at: i64, phone: &Arc<str>, window_ms: i64, min: usize) -> Cluster {
        let Some(block) = block(phone) else {
            return Cluster::None;
        };
        if self.blocks.len() > PRUNE_ABOVE {
            self.blocks
                .retain(|_, seen| seen.back().is_some_and(|(t, _)| *t > at - window_ms));
        }
        let seen = self.blocks.entry(block.into()).or_default();
        while seen.front().is_some_and(|(t, _)| *t <= at - window_ms) {
            seen.pop_front();
        }
        if let Some(pos) = seen.iter().position(|(_, p)| p == phone) {
            seen.remove(pos);
        }
        seen.push_back((at, Arc::clone(phone)));
        match seen.len() {
            n if n == min.max(1) => Cluster::Formed(seen.iter().map(|(_, p)| p.clone()).collect()),
            n if n > min => Cluster::Member,
            _ => Cluster::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_the_country_and_drop_four_digits() {
        assert_eq!(block("+14155551234"), Some("+1415555"));
        assert_eq!(block("whatsapp:+442079460000"), Some("+44207946"));
        assert_eq!(block("+1234"), None);
        assert_eq!(block("client:bob"), None);
        assert_eq!(block("+1415555123x"), None);
    }

    #[test]
    fn a_crowded_block_forms_once_and_then_takes_members() {
        let mut p = Prefixes::default();
        let phone = |i: u32| -> Arc<str> { format!("+1415555{i:04}").into() };
        for i in 0..4 {
            assert_eq!(p.observe(i64::from(i), &phone(i), 60_000, 5), Cluster::None);
        }
        // The same number again does not crowd a block.
        assert_eq!(p.observe(5, &phone(3), 60_000, 5), Cluster::None);
        let Cluster::Formed(members) = p.observe(6, &phone(4), 60_000, 5) else {
            panic!("no cluster");
        };
        assert_eq!(members.len(), 5);
        assert_eq!(p.observe(7, &phone(5), 60_000, 5), Cluster::Member);
        // Long after, the block is quiet again; other blocks never were crowded.
        assert_eq!(p.observe(200_000, &phone(6), 60_000, 5), Cluster::None);
        let other: Arc<str> = "+14165550000".into();
        assert_eq!(p.observe(8, &other, 60_000, 5), Cluster::None);
    }
}
