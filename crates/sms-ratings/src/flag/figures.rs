//! Raw and cleaned figures: which flagged votes count, and what the public sees.

use serde::Serialize;

use super::{Reason, Reasons};
use crate::model::{Rating, Results, Timestamp};

/// A vote that is flagged or was moved in or out by hand, as the organiser reviews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlaggedVote {
    /// The sender (shown masked).
    pub phone: String,
    /// The rating.
    pub rating: Rating,
    /// Why it is flagged (maybe none, when it was only moved by hand).
    pub reasons: Reasons,
    /// The organiser's hand: `Some(true)` counted whatever its flags, `Some(false)` never.
    pub hand: Option<bool>,
    /// Its idempotency key (`MessageSid`), which the organiser's forms name it by.
    pub key: String,
    /// When it was last cast.
    pub at: Timestamp,
}

impl FlaggedVote {
    /// Whether it counts in the figures cleaned of `excluded` reasons.
    pub fn counts(&self, excluded: Reasons) -> bool {
        self.hand.unwrap_or(!self.reasons.intersects(excluded))
    }
}

/// What the projector and the audience link show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "figures", content = "excluding", rename_all = "lowercase")]
pub enum PublicFigures {
    /// Every vote (the default).
    Raw,
    /// Without the votes flagged for these reasons (and as moved by hand).
    Cleaned(Reasons),
}

impl PublicFigures {
    /// The reasons whose votes the organiser set aside (all of them until chosen).
    pub fn excluded(self) -> Reasons {
        match self {
            Self::Raw => Reasons::all(),
            Self::Cleaned(reasons) => reasons,
        }
    }

    /// How the audit names the choice (`cleaned of burst,prefix`).
    pub fn describe(self) -> String {
        match self {
            Self::Raw => "public sees raw figures".into(),
            Self::Cleaned(r) if r.is_empty() => {
                "public sees cleaned figures (nothing excluded)".into()
            }
            Self::Cleaned(r) => format!("public sees figures cleaned of {}", r.names()),
        }
    }
}

/// `raw` without the votes of `flagged` that do not count when `excluded` is set aside.
pub fn cleaned(raw: &Results, flagged: &[FlaggedVote], excluded: Reasons) -> Results {
    let mut counts: [u64; 5] = std::array::from_fn(|i| {
        raw.histogram
            .get(&(i + 1).to_string())
            .copied()
            .unwrap_or(0)
    });
    for vote in flagged.iter().filter(|v| !v.counts(excluded)) {
        let slot = &mut counts[usize::from(vote.rating.get() - 1)];
        *slot = slot.saturating_sub(1);
    }
    let mut results = raw.clone();
    results.recount(counts);
    results
}

/// Flagged votes grouped by reason, in [`Reason::ALL`] order (a vote with two reasons is in
/// both groups); votes moved by hand without a reason are left out.
pub fn by_reason(flagged: &[FlaggedVote]) -> Vec<(Reason, Vec<&FlaggedVote>)> {
    Reason::ALL
        .into_iter()
        .map(|r| {
            (
                r,
                flagged
                    .iter()
                    .filter(|v| v.reasons.contains(r))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, votes)| !votes.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, EventCode};

    fn flagged(rating: u8, reasons: Reasons, hand: Option<bool>) -> FlaggedVote {
        FlaggedVote {
            phone: "+15550001111".into(),
            rating: Rating::new(rating).unwrap(),
            reasons,
            hand,
            key: "SM1".into(),
            at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn cleaning_drops_excluded_votes_unless_moved_in() {
        let code: EventCode = "A1".parse().unwrap();
        let event = Event {
            id: 1,
            code,
            name: "A".into(),
            number: None,
            opens: None,
            closes: None,
            closed: false,
            time_zone: None,
            window_opens: None,
        };
        let raw = Results::from_counts(&event, [2, 0, 0, 2, 0], None);
        let burst = Reasons::NONE.with(Reason::Burst);
        let votes = [
            flagged(1, burst, None),
            flagged(1, burst, Some(true)),
            flagged(4, Reasons::NONE, Some(false)),
        ];
        let clean = cleaned(&raw, &votes, burst);
        assert_eq!((clean.count, clean.average), (2, Some(2.5)));
        // Nothing excluded: only the vote moved out by hand goes.
        assert_eq!(cleaned(&raw, &votes, Reasons::NONE).count, 3);
        assert_eq!(by_reason(&votes).len(), 1);
    }
}
