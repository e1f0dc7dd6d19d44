//! The reasons a vote is flagged, and a set of them as stored (a bit mask column).

use serde::Serialize;

/// Why a vote looks suspect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Reason {
    /// The event's vote rate jumped far above its baseline, with an unusual rating mix.
    Burst,
    /// Many voters from one number block within a short time.
    Prefix,
    /// Lookup's line type is one bots use (non-fixed VoIP, toll-free, premium…).
    LineType,
    /// A call vote whose caller ID was not attested.
    CallerUnverified,
    /// One sender texting more than the threshold per minute.
    Rate,
}

impl Reason {
    /// Every reason, in the order pages list them.
    pub const ALL: [Self; 5] = [
        Self::Burst,
        Self::Prefix,
        Self::LineType,
        Self::CallerUnverified,
        Self::Rate,
    ];

    /// The name in forms, the API and exports (`line-type`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Burst => "burst",
            Self::Prefix => "prefix",
            Self::LineType => "line-type",
            Self::CallerUnverified => "caller-unverified",
            Self::Rate => "rate",
        }
    }

    /// The reason named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    /// What it means, for the organiser.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Burst => "part of a sudden burst of votes with an unusual rating mix",
            Self::Prefix => "one of many numbers from the same number block within minutes",
            Self::LineType => "a virtual (non-fixed VoIP), toll-free or premium number",
            Self::CallerUnverified => "a call whose caller ID the phone network did not verify",
            Self::Rate => "a sender texting more often than a person would",
        }
    }

    const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// A set of reasons; empty for an unflagged vote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Reasons(u32);

impl Reasons {
    /// No reason.
    pub const NONE: Self = Self(0);

    /// Every reason.
    pub fn all() -> Self {
        Reason::ALL.into_iter().collect()
    }

    /// This set with `reason` added.
    #[must_use]
    pub fn with(self, reason: Reason) -> Self {
        Self(self.0 | reason.bit())
    }

    /// Both sets together.
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// True when `reason` is in the set.
    pub fn contains(self, reason: Reason) -> bool {
        self.0 & reason.bit() != 0
    }

    /// True when the sets share a reason.
    pub fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// True for no reason.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The reasons in the set, in [`Reason::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Reason> {
        Reason::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// The stored form: a bit mask.
    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    /// From the stored form; bits this build does not know are dropped.
    pub fn from_bits(bits: i64) -> Self {
        Reason::ALL
            .into_iter()
            .filter(|r| bits & i64::from(r.bit()) != 0)
            .collect()
    }

    /// The names, comma-separated (`burst,prefix`); empty for none.
    pub fn names(self) -> String {
        self.iter().map(Reason::name).collect::<Vec<_>>().join(",")
    }
}

impl FromIterator<Reason> for Reasons {
    fn from_iter<I: IntoIterator<Item = Reason>>(iter: I) -> Self {
        iter.into_iter().fold(Self::NONE, Self::with)
    }
}

impl Serialize for Reasons {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_bits_round_trip() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_name(r.name()), Some(r));
        }
        let set = Reasons::NONE.with(Reason::Burst).with(Reason::Rate);
        assert_eq!(Reasons::from_bits(set.bits()), set);
        assert_eq!(set.names(), "burst,rate");
        assert_eq!(
            Reasons::from_bits(1 << 40 | 2),
            Reasons::NONE.with(Reason::Prefix)
        );
        assert!(set.intersects(Reasons::NONE.with(Reason::Rate)));
        assert!(!set.intersects(Reasons::NONE.with(Reason::Prefix)));
        assert_eq!(Reasons::all().iter().count(), 5);
    }
}
