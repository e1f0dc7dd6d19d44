//! The domain values: events, ratings, votes and what became of them.
//!
//! ```
//! use sms_ratings::model::{EventCode, Rating};
//!
//! let code: EventCode = "rust25".parse().unwrap();
//! assert_eq!(code.as_str(), "RUST25");
//! assert_eq!(Rating::new(4).unwrap().get(), 4);
//! assert!(Rating::new(6).is_none());
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

pub mod zone;

pub use zone::Zone;

/// Milliseconds since the Unix epoch: the one time type stored by every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self::from_system(SystemTime::now())
    }

    /// A timestamp from milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Converts a `SystemTime` (times before 1970 clamp to the epoch).
    pub fn from_system(t: SystemTime) -> Self {
        let ms = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        Self(i64::try_from(ms).unwrap_or(i64::MAX))
    }

    /// The same instant as a `SystemTime`.
    pub fn to_system(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(u64::try_from(self.0).unwrap_or(0))
    }

    /// RFC 3339 in UTC with second precision, e.g. `2026-11-29T18:00:00Z`.
    pub fn rfc3339(self) -> String {
        humantime::format_rfc3339_seconds(self.to_system()).to_string()
    }
}

impl FromStr for Timestamp {
    type Err = humantime::TimestampError;

    /// Parses RFC 3339 (`2026-11-29T18:00:00Z`; a missing zone means UTC).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        humantime::parse_rfc3339_weak(s.trim()).map(Self::from_system)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

/// An event code: 2–32 characters, a letter first, then letters, digits, `-` or `_`;
/// kept upper-case so codes compare case-insensitively everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventCode(String);

/// Why a text is not an event code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an event code is 2-32 characters: a letter, then letters, digits, '-' or '_' (got {0:?})")]
pub struct InvalidCode(pub String);

impl EventCode {
    /// The code, upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `s` has the shape of a code (the check `parse` makes).
    pub fn is_valid(s: &str) -> bool {
        let mut chars = s.chars();
        let first_is_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        first_is_letter
            && (2..=32).contains(&s.len())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }
}

impl FromStr for EventCode {
    type Err = InvalidCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if Self::is_valid(s) {
            Ok(Self(s.to_ascii_uppercase()))
        } else {
            Err(InvalidCode(s.to_owned()))
        }
    }
}

impl fmt::Display for EventCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A rating from 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Rating(u8);

impl Rating {
    /// `Some` for 1..=5.
    pub fn new(n: u8) -> Option<Self> {
        (1..=5).contains(&n).then_some(Self(n))
    }

    /// The number, 1..=5.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An event people rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Database id.
    pub id: i64,
    /// The code people text.
    pub code: EventCode,
    /// The name shown in replies and on the results page.
    pub name: String,
    /// The Twilio number (E.164) that serves it, if any.
    pub number: Option<String>,
    /// Voting opens at (none: at once).
    pub opens: Option<Timestamp>,
    /// Voting closes at (none: when closed by hand).
    pub closes: Option<Timestamp>,
    /// Closed by hand (`events close`), or a talk cancelled from the agenda.
    pub closed: bool,
    /// The zone its times are typed and shown in (none: the deployment's `--timezone`).
    pub time_zone: Option<Zone>,
    /// When texts without a code to its number start counting for it: a talk's vote window
    /// opens shortly before its scheduled end, while its code works from its start (`opens`).
    /// None: from `opens`.
    pub window_opens: Option<Timestamp>,
}

/// Whether an event takes votes at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventState {
    /// Taking votes.
    Open,
    /// Not yet: opens at the given time.
    NotYetOpen(Timestamp),
    /// Closed by hand or past its closing time.
    Closed,
}

impl Event {
    /// The event's state at `now`.
    pub fn state_at(&self, now: Timestamp) -> EventState {
        match (self.opens, self.closes) {
            _ if self.closed => EventState::Closed,
            (_, Some(closes)) if now >= closes => EventState::Closed,
            (Some(opens), _) if now < opens => EventState::NotYetOpen(opens),
            _ => EventState::Open,
        }
    }

    /// The zone its times are shown in: its own, else `default` (the deployment's).
    pub fn zone<'a>(&'a self, default: &'a Zone) -> &'a Zone {
        self.time_zone.as_ref().unwrap_or(default)
    }

    /// True when the event takes votes at `now`.
    pub fn is_open_at(&self, now: Timestamp) -> bool {
        self.state_at(now) == EventState::Open
    }

    /// True when a text without a code to the event's number counts for it at `now`: it is
    /// open, and its vote window (if it has one) has opened.
    pub fn takes_bare_texts_at(&self, now: Timestamp) -> bool {
        self.is_open_at(now) && self.window_opens.is_none_or(|t| now >= t)
    }
}

/// What `events add` creates.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The code.
    pub code: EventCode,
    /// The name.
    pub name: String,
    /// The Twilio number serving it.
    pub number: Option<String>,
    /// Opening time.
    pub opens: Option<Timestamp>,
    /// Closing time.
    pub closes: Option<Timestamp>,
    /// The zone its times are typed and shown in (none: the deployment's `--timezone`).
    pub time_zone: Option<Zone>,
}

impl NewEvent {
    /// The name of its own zone, as stored (none: the deployment's).
    pub fn zone_name(&self) -> Option<&str> {
        self.time_zone.as_ref().map(Zone::name)
    }
}

/// A vote as texted: the event code when given, the rating, the comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// The event code, when the text started with one.
    pub code: Option<EventCode>,
    /// The rating.
    pub rating: Rating,
    /// The comment (may be empty).
    pub comment: String,
}

/// How a vote reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// A text message (SMS or MMS).
    Sms,
    /// A WhatsApp message.
    WhatsApp,
    /// A phone call (a key pressed).
    Voice,
}

impl Channel {
    /// Every channel, in display order.
    pub const ALL: [Self; 3] = [Self::Sms, Self::WhatsApp, Self::Voice];

    /// The stored name: `sms`, `whatsapp`, `voice`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::WhatsApp => "whatsapp",
            Self::Voice => "voice",
        }
    }

    /// The channel a stored name means.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// True for the messaging channels, whose replies an opt-out silences.
    pub fn is_messaging(self) -> bool {
        self != Self::Voice
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A vote received by text or call, ready to be stored.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The idempotency key: Twilio's `MessageSid`, or `CallSid:digit` for a call.
    pub idempotency_key: String,
    /// The sender's number (`From`; a channel prefix such as `whatsapp:` removed), the key
    /// of one vote per phone per event whatever the channel.
    pub phone: String,
    /// Receiving number (`To`).
    pub to: String,
    /// The parsed vote.
    pub vote: Vote,
    /// When it was received.
    pub at: Timestamp,
    /// How it reached us.
    pub channel: Channel,
    /// Whether the sender's number can be trusted to be theirs.
    pub caller: CallerId,
    /// No reply may go out (the reply budget is spent): the stored reply is empty, as for a
    /// number that opted out, so a retry of the message is answered with nothing too.
    pub quiet: bool,
}

/// How far a vote's sender number can be trusted, which decides whether it may count.
///
/// A text's `From` is the number Twilio delivered it from. A call's caller ID is chosen by
/// the calling party on most networks; Twilio passes the SHAKEN/STIR verdict on it in
/// `StirVerstat`, and only `TN-Validation-Passed-A`, `-B` or `-C` says the caller may use the
/// number. Outside North America Twilio sends no verdict at all: those calls are unverified
/// too, so they count only where the organiser chose to count unverified calls (and then a
/// caller can vote, or replace a vote, under a number that is not theirs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerId {
    /// A text, or a call whose caller ID passed attestation.
    Trusted,
    /// A call whose caller ID Twilio did not attest: its `StirVerstat` (empty when absent).
    Unverified(String),
}

impl CallerId {
    /// A call's caller ID, judged by its `StirVerstat` parameter.
    pub fn of_call(stir_verstat: Option<&str>) -> Self {
        match stir_verstat {
            Some(
                "TN-Validation-Passed-A" | "TN-Validation-Passed-B" | "TN-Validation-Passed-C",
            ) => Self::Trusted,
            other => Self::Unverified(other.unwrap_or_default().chars().take(64).collect()),
        }
    }
}

/// The code and name of an event, as replies and notifications need them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRef {
    /// The code.
    pub code: String,
    /// The name.
    pub name: String,
}

impl From<&Event> for EventRef {
    fn from(e: &Event) -> Self {
        Self {
            code: e.code.to_string(),
            name: e.name.clone(),
        }
    }
}

/// What became of a vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored; `replaced` when it replaced the phone's earlier vote.
    Recorded {
        /// The event.
        event: EventRef,
        /// The rating stored.
        rating: Rating,
        /// True when it replaced an earlier vote.
        replaced: bool,
    },
    /// A call whose caller ID was not attested, to an event that does not count those:
    /// stored apart, not counted, the phone's counted vote (if any) untouched.
    Held {
        /// The event.
        event: EventRef,
        /// The rating pressed.
        rating: Rating,
    },
    /// The event is closed.
    Closed(EventRef),
    /// The event is not open yet.
    NotYetOpen(EventRef, Timestamp),
    /// No event has this code.
    UnknownEvent(String),
    /// No code given and the receiving number does not serve exactly one open event;
    /// the codes of its open events (maybe none) are listed.
    NeedCode(Vec<String>),
    /// No code given, to a room's number between two talks' vote windows: the talk whose
    /// window opens next and when, the one whose window closed last and when (either may be
    /// none).
    BetweenTalks {
        /// The next talk and when its window opens.
        next: Option<(EventRef, Timestamp)>,
        /// The last talk and when its window closed.
        last: Option<(EventRef, Timestamp)>,
    },
}

/// The answer to a submission: the reply text, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The reply to send back (the same for a repeated `MessageSid`); empty when nothing may
    /// be sent (the number opted out of texts).
    pub reply: String,
    /// The outcome; `None` when the message was already processed.
    pub outcome: Option<Outcome>,
}

impl Receipt {
    /// True when this `MessageSid` had been processed before (no second effect).
    pub fn is_duplicate(&self) -> bool {
        self.outcome.is_none()
    }
}

/// An event's results, as `GET /api/events/{code}/results` returns them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    /// The code.
    pub code: String,
    /// The name.
    pub name: String,
    /// Taking votes now.
    pub open: bool,
    /// Number of votes (one per phone).
    pub count: u64,
    /// Mean rating, none without votes.
    pub average: Option<f64>,
    /// Votes per rating, keys "1".."5".
    pub histogram: std::collections::BTreeMap<String, u64>,
    /// Time of the latest vote (RFC 3339), none without votes.
    pub updated_at: Option<String>,
    /// How the votes arrived, and how many voters opted out of texts.
    pub reach: Reach,
}

impl Results {
    /// Builds results from per-rating counts (index 0 = rating 1) and the latest update.
    pub fn from_counts(event: &Event, counts: [u64; 5], updated: Option<Timestamp>) -> Self {
        let mut results = Self {
            code: event.code.to_string(),
            name: event.name.clone(),
            open: event.is_open_at(Timestamp::now()),
            count: 0,
            average: None,
            histogram: std::collections::BTreeMap::new(),
            updated_at: updated.map(Timestamp::rfc3339),
            reach: Reach::default(),
        };
        results.recount(counts);
        results
    }

    /// Sets count, average and histogram from per-rating counts (index 0 = rating 1).
    pub fn recount(&mut self, counts: [u64; 5]) {
        let count: u64 = counts.iter().sum();
        let weighted: u64 = counts.iter().zip(1u64..).map(|(n, r)| n * r).sum();
        #[allow(clippy::cast_precision_loss)] // vote counts are far below 2^52
        let average = (count > 0).then(|| weighted as f64 / count as f64);
        self.count = count;
        self.average = average;
        self.histogram = counts
            .iter()
            .zip(1..)
            .map(|(n, r)| (format!("{r}"), *n))
            .collect();
    }
}

/// How an event's votes arrived, and how many of its voters opted out of texts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reach {
    /// Votes (one per phone) whose latest vote came by SMS.
    pub sms: u64,
    /// ... by WhatsApp.
    pub whatsapp: u64,
    /// ... by phone call.
    pub voice: u64,
    /// Phones that voted for the event and have opted out of texts (`STOP`); their votes
    /// still count, they get no replies until they text `START`.
    pub opted_out: u64,
    /// Call votes held apart, not counted: the caller ID was not attested (see
    /// [`CallerId`]) and the event does not count unverified calls.
    pub held_calls: u64,
}

impl Reach {
    /// Adds `n` votes of `channel`.
    pub fn add(&mut self, channel: Channel, n: u64) {
        match channel {
            Channel::Sms => self.sms += n,
            Channel::WhatsApp => self.whatsapp += n,
            Channel::Voice => self.voice += n,
        }
    }
}

/// One stored rating, as the CSV export lists it (phone still in full: mask before showing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRow {
    /// Sender.
    pub phone: String,
    /// Rating.
    pub rating: Rating,
    /// Comment.
    pub comment: String,
    /// The channel of the latest vote.
    pub channel: Channel,
    /// First vote.
    pub created_at: Timestamp,
    /// Latest vote.
    pub updated_at: Timestamp,
    /// The latest vote's `MessageSid` (what the organiser's moderation buttons name).
    pub message_sid: String,
    /// Comment hidden by the organiser (the rating still counts).
    pub hidden: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(opens: Option<i64>, closes: Option<i64>, closed: bool) -> Event {
        Event {
            id: 1,
            code: "E1".parse().unwrap(),
            name: "E".into(),
            number: None,
            opens: opens.map(Timestamp::from_millis),
            closes: closes.map(Timestamp::from_millis),
            closed,
            time_zone: None,
            window_opens: None,
        }
    }

    #[test]
    fn state_follows_times_and_flag() {
        let t = Timestamp::from_millis;
        assert_eq!(event(None, None, false).state_at(t(5)), EventState::Open);
        assert_eq!(event(None, None, true).state_at(t(5)), EventState::Closed);
        assert_eq!(
            event(Some(10), None, false).state_at(t(5)),
            EventState::NotYetOpen(t(10))
        );
        assert_eq!(
            event(Some(10), None, false).state_at(t(10)),
            EventState::Open
        );
        assert_eq!(
            event(None, Some(10), false).state_at(t(10)),
            EventState::Closed
        );
    }

    #[test]
    fn codes_are_case_insensitive_and_checked() {
        assert_eq!("ab-1".parse::<EventCode>().unwrap().as_str(), "AB-1");
        for bad in ["", "a", "1abc", "a b", "é1", &"a".repeat(33)] {
            assert!(bad.parse::<EventCode>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn results_average_and_histogram() {
        let r = Results::from_counts(&event(None, None, false), [1, 0, 0, 0, 1], None);
        assert_eq!(r.count, 2);
        assert_eq!(r.average, Some(3.0));
        assert_eq!(r.histogram["5"], 1);
        assert_eq!(r.histogram.len(), 5);
    }

    #[test]
    fn timestamps_round_trip_rfc3339() {
        let t: Timestamp = "2026-11-29T18:00:00Z".parse().unwrap();
        assert_eq!(t.rfc3339(), "2026-11-29T18:00:00Z");
        assert!("tomorrow".parse::<Timestamp>().is_err());
    }
}
